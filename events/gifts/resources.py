"""The gift catalogue as a spreadsheet (django-import-export): exported from the admin, edited in
Excel (a new gift, a price, the stock counted), imported back. Columns have fixed Chinese names,
whatever the page's language, so a file exported by one user imports for any other; an unchanged row
is skipped, so importing an export unchanged changes nothing. Each row is saved through the service
(gift_save), with the model's checks: a row with no name, a negative cost or stock is an invalid row.
The 库存 column sets the stock of a NEW gift only: an existing gift's stock is never overwritten from
the file (approvals may have taken from it since the export); it changes on the gifts' page."""

from import_export import fields, resources, widgets

from customers.catalogue.resources import YesNoWidget

from .models import Gift
from .services import gift_save


class GiftResource(resources.ModelResource):
    id = fields.Field(attribute="id", column_name="编号", widget=widgets.IntegerWidget())
    name = fields.Field(attribute="name", column_name="礼品", widget=widgets.CharWidget())
    unit_cost = fields.Field(attribute="unit_cost", column_name="单价（元）", widget=widgets.DecimalWidget())
    stock = fields.Field(attribute="stock", column_name="库存", widget=widgets.IntegerWidget())
    on_menu = fields.Field(attribute="on_menu", column_name="上礼品栏", widget=YesNoWidget())
    for_children = fields.Field(attribute="for_children", column_name="儿童礼品", widget=YesNoWidget())
    active = fields.Field(attribute="active", column_name="启用", widget=YesNoWidget())
    description = fields.Field(attribute="description", column_name="说明", widget=widgets.CharWidget())

    class Meta:
        model = Gift
        fields = ("id", "name", "unit_cost", "stock", "on_menu", "for_children", "active", "description")
        import_id_fields = ("id",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def do_instance_save(self, instance, is_create):
        gift_save(gift=instance)
