"""The retention pages (being built: each route answers 404 until its view lands)."""

from django.http import Http404
from django.urls import path

app_name = "retention"


def _not_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("reminder_list/", _not_yet, name="reminder_list"),
    path("letters/", _not_yet, name="letters"),
    path("lapse_list/", _not_yet, name="lapse_list"),
    path("report/", _not_yet, name="report"),
    path("band_list/", _not_yet, name="band_list"),
]
