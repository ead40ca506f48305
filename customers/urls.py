from django.urls import path

from .views import customers, duplicates, family, search, sms, vehicles

app_name = "customers"
urlpatterns = [
    path("", customers.customer_list, name="list"),
    path("new/", customers.customer_create, name="create"),
    path("export/<slug:fmt>/", customers.customer_list_export, name="export"),
    path("search/", search.search, name="search"),
    path("<int:pk>/", customers.customer_detail, name="detail"),
    path("<int:pk>/edit/", customers.customer_edit, name="edit"),
    path("<int:pk>/timeline/", customers.customer_timeline, name="timeline"),
    path("<int:pk>/history/", customers.customer_history, name="history"),
    path("<int:pk>/phones/reveal/", customers.customer_phones_reveal, name="reveal_phones"),
    path("<int:pk>/preferences/", customers.contact_preference_set, name="preference_set"),
    path("<int:pk>/sms/", sms.customer_sms_card, name="sms_card"),
    path("<int:pk>/sms/send/", sms.customer_sms_send, name="sms_send"),
    path("<int:pk>/sms/preview/", sms.customer_sms_preview, name="sms_preview"),
    path("<int:customer_pk>/vehicles/new/", vehicles.vehicle_add, name="vehicle_add"),
    path("<int:pk>/vehicles/<int:vehicle_pk>/<slug:action>/", vehicles.vehicle_act, name="vehicle_act"),
    path("<int:customer_pk>/family/new/", family.family_member_add, name="family_add"),
    path("family/<int:pk>/edit/", family.family_member_edit, name="family_edit"),
    path("family/<int:pk>/delete/", family.family_member_delete, name="family_delete"),
    path("vehicles/<int:pk>/", vehicles.vehicle_detail, name="vehicle_detail"),
    path("vehicles/<int:pk>/edit/", vehicles.vehicle_edit, name="vehicle_edit"),
    path("vehicles/<int:pk>/owner/", vehicles.vehicle_change_owner, name="vehicle_owner"),
    path("vehicles/<int:pk>/delivery-file/", vehicles.delivery_file_edit, name="delivery_file"),
    path("duplicates/", duplicates.duplicate_list, name="duplicates"),
    path("duplicates/<int:pk>/merge/", duplicates.duplicate_merge, name="duplicate_merge"),
    path("duplicates/<int:pk>/dismiss/", duplicates.duplicate_dismiss, name="duplicate_dismiss"),
]
