from django.contrib import admin

from dealer_crm.admin import ReadOnlyAdmin

from .models import Customer, ServiceVisit, Vehicle


class ImportLinkMixin:
    """The changelist offers the archive import of its kind (the one import path, in the background)."""

    change_list_template = "admin/customers/change_list_with_import.html"
    import_kind = "deliveries"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "import_kind": self.import_kind})


@admin.register(Customer)
class CustomerAdmin(ImportLinkMixin, ReadOnlyAdmin):
    """Staff keep the archive through the CRM's own pages, where phones stay masked."""

    list_display = ["id", "name", "importance", "last_visit_on", "merged_into"]
    list_filter = ["importance", "source"]
    search_fields = ["name"]
    # Phones and ID numbers are not shown here: the admin role has no need to see them.
    exclude = ["mobile", "phone2", "id_number", "mobile_rev", "phone2_rev"]

    def get_queryset(self, request):
        return Customer.all_objects.all()


@admin.register(Vehicle)
class VehicleAdmin(ImportLinkMixin, ReadOnlyAdmin):
    list_display = ["vin", "plate", "brand", "model_name", "delivery_date"]
    list_filter = ["brand"]
    search_fields = ["=vin", "plate"]


@admin.register(ServiceVisit)
class ServiceVisitAdmin(ImportLinkMixin, ReadOnlyAdmin):
    import_kind = "service-visits"
    list_display = ["ro_number", "vehicle", "kind", "opened_on", "total_amount"]
    list_filter = ["kind"]
    search_fields = ["=ro_number"]
