from django.contrib import admin

from dealer_crm.admin import ReadOnlyAdmin

from .models import Customer, ServiceVisit, Vehicle


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    """Staff keep the archive through the CRM's own pages, where phones stay masked."""

    list_display = ["id", "name", "importance", "last_visit_on", "merged_into"]
    list_filter = ["importance", "source"]
    search_fields = ["name"]
    # Phones and ID numbers are not shown here: the admin role has no need to see them.
    exclude = ["mobile", "phone2", "id_number", "mobile_rev", "phone2_rev"]

    def get_queryset(self, request):
        return Customer.all_objects.all()


@admin.register(Vehicle)
class VehicleAdmin(ReadOnlyAdmin):
    list_display = ["vin", "plate", "brand", "model_name", "delivery_date"]
    list_filter = ["brand"]
    search_fields = ["=vin", "plate"]


@admin.register(ServiceVisit)
class ServiceVisitAdmin(ReadOnlyAdmin):
    list_display = ["ro_number", "vehicle", "kind", "opened_on", "total_amount"]
    list_filter = ["kind"]
    search_fields = ["=ro_number"]
