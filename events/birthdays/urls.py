"""The birthdays pages (being built: each route answers 404 until its view lands)."""

from django.http import Http404
from django.urls import path

app_name = "birthdays"


def _not_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("birthday_list/", _not_yet, name="birthday_list"),
]
