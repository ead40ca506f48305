"""The callback scripts' pages under /scripts/."""

from .views import editor

app_name = "scripts"

urlpatterns = editor.urlpatterns
