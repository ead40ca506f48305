"""The callback centre's pages under /callbacks/. Each view module lists its own routes."""

from .views import problems, rules, supervisor, workbench

app_name = "callbacks"

# the agent's queue and workbench, the problems and the managers' inbox, the supervisor's view,
# the rules that build the queues.
urlpatterns = workbench.urlpatterns + problems.urlpatterns + supervisor.urlpatterns + rules.urlpatterns
