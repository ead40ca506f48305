"""Routes are filled in by this module's views."""

urlpatterns: list = []
