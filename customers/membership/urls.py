"""The membership pages under /members/: the members, one member's page and statement, enrolling,
redeeming and correcting; the rewards catalogue; the tiers and points rules."""

from .views import catalogue, members, tiers

app_name = "membership"

urlpatterns = members.urlpatterns + catalogue.urlpatterns + tiers.urlpatterns
