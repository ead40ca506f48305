"""The membership pages (being built: each route answers 404 until its view lands)."""

from django.http import Http404
from django.urls import path

app_name = "membership"


def _not_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("member_list/", _not_yet, name="member_list"),
    path("reward_list/", _not_yet, name="reward_list"),
    path("tier_list/", _not_yet, name="tier_list"),
]
