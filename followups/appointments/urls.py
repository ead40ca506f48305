"""The appointments pages (being built: each route answers 404 until its view lands)."""

from django.http import Http404
from django.urls import path

app_name = "appointments"


def _not_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("calendar/", _not_yet, name="calendar"),
    path("book/", _not_yet, name="book"),
    path("day/", _not_yet, name="day"),
    path("capacity/", _not_yet, name="capacity"),
]
