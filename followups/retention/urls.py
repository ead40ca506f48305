"""The retention pages under /retention/. Each view module lists its own routes."""

from .views import bands, lapses, reminders, report

app_name = "retention"

# the reminders and the letters to print; the lapsed customers and their reasons; the results; the bands.
urlpatterns = reminders.urlpatterns + lapses.urlpatterns + report.urlpatterns + bands.urlpatterns
