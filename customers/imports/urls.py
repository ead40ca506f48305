from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("new/", views.batch_upload, name="batch_upload"),
    path("<int:pk>/", views.batch_detail, name="batch_detail"),
    path("<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("<int:pk>/confirm/", views.batch_confirm, name="batch_confirm"),
    path("<int:pk>/cancel/", views.batch_cancel, name="batch_cancel"),
    path("<int:pk>/invalid-rows/", views.batch_invalid_rows, name="batch_invalid_rows"),
]
