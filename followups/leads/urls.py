"""The sales leads' pages under /leads/ (the routes are listed with their views)."""

from .views import urlpatterns  # noqa: F401

app_name = "leads"
