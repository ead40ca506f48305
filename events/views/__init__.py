"""The events' pages under /events/: the list, one event's page with its counts, cost and outcomes,
creating and editing, the target group and the invitations, the guests' answers, the checklist, and
the door's check-in made for a tablet. Each module's views are listed in its `urlpatterns`."""
