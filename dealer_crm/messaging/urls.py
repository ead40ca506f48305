"""The SMS platform's pages under /sms/. Each view module lists its own routes."""

from .views import bulk, callbacks, outbox, templates

app_name = "messaging"

# templates and the outbox, bulk sends (群发), the gateways' receipt and reply pushes.
urlpatterns = templates.urlpatterns + outbox.urlpatterns + bulk.urlpatterns + callbacks.urlpatterns
