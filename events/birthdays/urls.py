"""The birthdays pages."""

from .views import urlpatterns  # noqa: F401

app_name = "birthdays"
