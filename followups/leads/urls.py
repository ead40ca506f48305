"""The leads pages (being built: each route answers 404 until its view lands)."""

from django.http import Http404
from django.urls import path

app_name = "leads"


def _not_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("lead_list/", _not_yet, name="lead_list"),
    path("lead_create/", _not_yet, name="lead_create"),
]
