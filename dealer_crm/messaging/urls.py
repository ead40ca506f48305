"""The SMS platform's pages under /sms/. Each view module lists its own routes."""

from importlib import import_module
from importlib.util import find_spec

app_name = "messaging"

# templates and the outbox (views/templates.py, views/outbox.py), bulk sends (views/bulk.py),
# the gateways' receipt and reply pushes (views/callbacks.py).
VIEW_MODULES = ["templates", "outbox", "bulk", "callbacks"]


def _routes() -> list:
    routes = []
    for name in VIEW_MODULES:
        if find_spec(f"dealer_crm.messaging.views.{name}") is not None:
            routes += import_module(f"dealer_crm.messaging.views.{name}").urlpatterns
    return routes


urlpatterns = _routes()
