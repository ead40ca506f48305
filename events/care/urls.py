"""The interviews' and the lounge's pages (the routes are listed with their views)."""

from .views import urlpatterns  # noqa: F401

app_name = "care"
