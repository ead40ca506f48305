from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Customer, ServiceVisit, Vehicle


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    """For the administrator's look-ups; staff keep customers through the CRM's own pages."""

    list_display = ["id", "name", "importance", "last_visit_on", "merged_into"]
    list_filter = ["importance", "source"]
    search_fields = ["=mobile", "name"]
    show_full_result_count = False
    readonly_fields = ["mobile", "phone2", "id_number"]

    def get_queryset(self, request):
        return Customer.all_objects.all()


@admin.register(Vehicle)
class VehicleAdmin(SimpleHistoryAdmin):
    list_display = ["vin", "plate", "brand", "model_name", "delivery_date"]
    list_filter = ["brand"]
    search_fields = ["=vin", "plate"]
    show_full_result_count = False


@admin.register(ServiceVisit)
class ServiceVisitAdmin(admin.ModelAdmin):
    list_display = ["ro_number", "vehicle", "kind", "opened_on", "total_amount"]
    list_filter = ["kind"]
    search_fields = ["=ro_number"]
    raw_id_fields = ["vehicle", "customer"]
    show_full_result_count = False
