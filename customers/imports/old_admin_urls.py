"""The admin's import pages moved into the CRM (`urls.py`); their old addresses (bookmarks, links in
mails) lead to the CRM's pages, which check the user's rights as always."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.old_admin_page),
    path("add/", views.old_admin_page, {"page": "add"}),
    path("<int:pk>/", views.old_admin_page),
    path("<int:pk>/change/", views.old_admin_page),
    path("<int:pk>/history/", views.old_admin_page),
    path("<int:pk>/progress/", views.old_admin_page),
    path("<int:pk>/confirm/", views.old_admin_page),
    path("<int:pk>/cancel/", views.old_admin_page),
    path("<int:pk>/invalid-rows/", views.old_admin_page, {"page": "invalid-rows"}),
]
