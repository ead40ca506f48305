"""The catalogue as a spreadsheet (django-import-export): the admin exports it, staff edit it in
Excel, the admin imports it back. Columns have fixed Chinese names, whatever the page's language,
so a file exported by one user imports for any other; an unchanged row is skipped, so importing
an export unchanged changes nothing."""

from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from ..models import Vehicle
from .models import VehicleModel
from .services import vehicle_model_save
from .spellings import join_aliases, split_aliases

FILE_LANGUAGE = "zh-hans"


class BrandWidget(widgets.Widget):
    """The brand as the store writes it (雷诺, 三菱, 其他品牌); the code or the English name also read."""

    def clean(self, value, row=None, **kwargs):
        said = str(value or "").strip()
        if not said:
            return ""
        for code, label in Vehicle.Brand.choices:
            names = {code}
            for language in (FILE_LANGUAGE, "en"):
                with translation.override(language):
                    names.add(str(label).casefold())
            if said.casefold() in names:
                return code
        raise ValueError(_("“%(brand)s” is not a brand the catalogue knows (%(brands)s).")
                         % {"brand": said, "brands": "、".join(self._labels())})

    def render(self, value, obj=None, **kwargs):
        with translation.override(FILE_LANGUAGE):
            return str(Vehicle.Brand(value).label) if value in Vehicle.Brand.values else ""

    @staticmethod
    def _labels() -> list[str]:
        with translation.override(FILE_LANGUAGE):
            return [str(label) for label in Vehicle.Brand.labels]


class AliasesWidget(widgets.CharWidget):
    """Aliases in one cell, read with any separator and kept joined by 、 (so re-reading an export
    compares equal)."""

    def clean(self, value, row=None, **kwargs):
        return join_aliases(split_aliases(super().clean(value, row, **kwargs) or ""))


class YesNoWidget(widgets.BooleanWidget):
    """是 / 否 in the file (also in xlsx, where the package would write TRUE / FALSE)."""

    TRUE_VALUES = ["是", "1", 1, True, "true", "TRUE", "True"]
    FALSE_VALUES = ["否", "0", 0, False, "false", "FALSE", "False"]

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else self.TRUE_VALUES[0] if value else self.FALSE_VALUES[0]


class VehicleModelResource(resources.ModelResource):
    id = fields.Field(attribute="id", column_name="编号", widget=widgets.IntegerWidget())
    brand = fields.Field(attribute="brand", column_name="品牌", widget=BrandWidget())
    name = fields.Field(attribute="name", column_name="车型", widget=widgets.CharWidget())
    aliases = fields.Field(attribute="aliases", column_name="其他写法", widget=AliasesWidget())
    first_maintenance_km = fields.Field(attribute="first_maintenance_km", column_name="首保里程（公里）",
                                        widget=widgets.IntegerWidget())
    first_maintenance_months = fields.Field(attribute="first_maintenance_months", column_name="首保时间（月）",
                                            widget=widgets.IntegerWidget())
    interval_km = fields.Field(attribute="interval_km", column_name="保养间隔里程（公里）",
                               widget=widgets.IntegerWidget())
    interval_months = fields.Field(attribute="interval_months", column_name="保养间隔时间（月）",
                                   widget=widgets.IntegerWidget())
    active = fields.Field(attribute="active", column_name="启用", widget=YesNoWidget())

    class Meta:
        model = VehicleModel
        fields = ("id", "brand", "name", "aliases", "first_maintenance_km", "first_maintenance_months",
                  "interval_km", "interval_months", "active")
        import_id_fields = ("id",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True  # the model's clean: a spelling two models claim is an invalid row

    def do_instance_save(self, instance, is_create):
        vehicle_model_save(vehicle_model=instance)
