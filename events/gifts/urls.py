"""The gifts pages (being built: each route answers 404 until its view lands)."""

from django.http import Http404
from django.urls import path

app_name = "gifts"


def _not_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("request_list/", _not_yet, name="request_list"),
    path("approval_list/", _not_yet, name="approval_list"),
    path("gift_list/", _not_yet, name="gift_list"),
    path("budget_list/", _not_yet, name="budget_list"),
]
