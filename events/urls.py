"""The events' pages under /events/ (the routes are listed with their views)."""

from .views import checklist, door, events, invitations, inviting

app_name = "events"

urlpatterns = (events.urlpatterns + inviting.urlpatterns + invitations.urlpatterns + checklist.urlpatterns
               + door.urlpatterns)
