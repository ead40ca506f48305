from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("run/", views.run_now, name="run_now"),
]
