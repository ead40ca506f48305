"""The interviews' and lounge's pages (being built: each route answers 404 until its view lands)."""

from django.http import Http404
from django.urls import path

app_name = "care"


def _not_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("interview_list/", _not_yet, name="interview_list"),
    path("lounge/", _not_yet, name="lounge"),
]
