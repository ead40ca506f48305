"""The SMS platform's pages, a module per concern; each module lists its own `urlpatterns`."""
