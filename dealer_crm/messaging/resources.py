"""SMS templates as a spreadsheet (django-import-export): a store exports its templates, edits them
in Excel and imports them into another installation. Rows are matched by the template's key, not its
id (ids differ between installations); columns have fixed Chinese names, whatever the page's
language; each row is held to the editor's rules (`services.template_validate`, reported on its
row before anything is saved) and saved as the editor saves it (`services.template_save`); an
unchanged row is skipped, so importing an export unchanged changes nothing."""

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from . import services
from .models import Purpose, SmsTemplate

FILE_LANGUAGE = "zh-hans"


class PurposeWidget(widgets.Widget):
    """The purpose as the store writes it (服务提醒…, or the code: service, care, marketing, notice)."""

    def clean(self, value, row=None, **kwargs):
        said = str(value or "").strip()
        if not said:
            return ""
        for code, label in Purpose.choices:
            names = {code}
            for language in (FILE_LANGUAGE, "en"):
                with translation.override(language):
                    names.add(str(label).casefold())
            if said.casefold() in names:
                return code
        raise ValueError(_("“%(purpose)s” is not a purpose (%(purposes)s).")
                         % {"purpose": said, "purposes": "、".join(Purpose.values)})

    def render(self, value, obj=None, **kwargs):
        with translation.override(FILE_LANGUAGE):
            return str(Purpose(value).label) if value in Purpose.values else ""


class YesNoWidget(widgets.BooleanWidget):
    """是 / 否 in the file."""

    TRUE_VALUES = ["是", "1", 1, True, "true", "TRUE", "True"]
    FALSE_VALUES = ["否", "0", 0, False, "false", "FALSE", "False"]

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else self.TRUE_VALUES[0] if value else self.FALSE_VALUES[0]


class TextWidget(widgets.CharWidget):
    """A cell as text: Excel turns a code like 1234567 into a number, which is read back as "1234567"."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()


class SmsTemplateResource(resources.ModelResource):
    key = fields.Field(attribute="key", column_name="标识", widget=TextWidget())
    name = fields.Field(attribute="name", column_name="名称", widget=TextWidget())
    purpose = fields.Field(attribute="purpose", column_name="用途", widget=PurposeWidget())
    text = fields.Field(attribute="text", column_name="正文", widget=TextWidget())
    aliyun_code = fields.Field(attribute="aliyun_code", column_name="阿里云模板CODE", widget=TextWidget())
    tencent_id = fields.Field(attribute="tencent_id", column_name="腾讯云模板ID", widget=TextWidget())
    tencent_params = fields.Field(attribute="tencent_params", column_name="腾讯云参数顺序", widget=TextWidget())
    quiet_hours_exempt = fields.Field(attribute="quiet_hours_exempt", column_name="免打扰时段也发送",
                                      widget=YesNoWidget())
    active = fields.Field(attribute="active", column_name="启用", widget=YesNoWidget())

    class Meta:
        model = SmsTemplate
        fields = ("key", "name", "purpose", "text", "aliyun_code", "tencent_id", "tencent_params",
                  "quiet_hours_exempt", "active")
        import_id_fields = ("key",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The editor's rules, each problem on its column, with what the columns' widgets refused."""
        errors = dict(import_validation_errors or {})
        services.template_normalize(instance)
        try:
            services.template_validate(instance)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        services.template_save(template=instance, by=self.user)
