"""The gifts pages under /gifts/ (the routes are listed with their views)."""

from .views import urlpatterns  # noqa: F401

app_name = "gifts"
