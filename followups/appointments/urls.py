"""The appointments' pages under /appointments/. Each view module lists its own routes."""

from .views import booking, calendar, capacity

app_name = "appointments"

# the week's calendar of places and the service desk's day; booking (from the customer's page, a
# reminder call or an incoming call) and one appointment with its moves; the workshop's capacity.
urlpatterns = calendar.urlpatterns + booking.urlpatterns + capacity.urlpatterns
