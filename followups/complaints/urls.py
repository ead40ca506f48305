"""The complaints' pages under /complaints/. Each view module lists its own routes."""

from .views import complaints, inbox, manufacturer, settings_pages

app_name = "complaints"

# the list, one complaint and its actions, registering; the managers' inbox (problems and complaints
# together); the manufacturer's dissatisfaction items; the severities and the store's calendar.
urlpatterns = complaints.urlpatterns + inbox.urlpatterns + manufacturer.urlpatterns + settings_pages.urlpatterns
