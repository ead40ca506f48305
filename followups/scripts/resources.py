"""A script's questions as a spreadsheet (django-import-export): stores get the manufacturer's
scripts in Excel. A row is keyed by the script's key, the version number and the position; columns
have fixed Chinese names whatever the page's language.

A published or replaced version is never changed: rows go into the script's draft only — the
version number of an existing draft, or the next number, which starts a draft (a copy of the
published version) for the rows to change. Each row goes through `services.question_put`, so the
editor's rules hold for the file too.
"""

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from dealer_crm.messaging.resources import TextWidget, YesNoWidget

from . import services
from .models import Factor, Question, Script, ScriptVersion

FILE_LANGUAGE = "zh-hans"
OPTION_SEPARATOR = "/"
YES_NO_CELLS = {"是": services.YES, "否": services.NO, services.YES: services.YES, services.NO: services.NO}


class LabelWidget(widgets.Widget):
    """A choice as the store writes it: its Chinese or English label, or its code."""

    def __init__(self, choices, what: str, **kwargs):
        super().__init__(**kwargs)
        self.choices, self.what = choices, what

    def clean(self, value, row=None, **kwargs):
        said = str(value or "").strip()
        for code, label in self.choices.choices:
            names = {code}
            for language in (FILE_LANGUAGE, "en"):
                with translation.override(language):
                    names.add(str(label).casefold())
            if said.casefold() in names:
                return code
        raise ValueError(_("“%(value)s” is not a %(what)s (%(known)s).") % {
            "value": said, "what": self.what, "known": "、".join(self._labels())})

    def _labels(self) -> list[str]:
        with translation.override(FILE_LANGUAGE):
            return [str(label) for _code, label in self.choices.choices]

    def render(self, value, obj=None, **kwargs):
        with translation.override(FILE_LANGUAGE):
            return str(self.choices(value).label) if value in self.choices.values else ""


class OptionsWidget(widgets.Widget):
    """A list in one cell, the items split by “/” or by lines."""

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").replace("\n", OPTION_SEPARATOR)
        return [item.strip() for item in text.split(OPTION_SEPARATOR) if item.strip()]

    def render(self, value, obj=None, **kwargs):
        return OPTION_SEPARATOR.join(value or [])


class NumberWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return int(float(value))
        except (TypeError, ValueError):
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value}) from None


class QuestionResource(resources.ModelResource):
    script = fields.Field(column_name="话术标识", widget=TextWidget())
    version_number = fields.Field(column_name="版本", widget=NumberWidget())
    position = fields.Field(attribute="position", column_name="序号", widget=NumberWidget())
    factor = fields.Field(attribute="factor", column_name="考核维度", widget=LabelWidget(Factor, "考核维度"))
    text = fields.Field(attribute="text", column_name="问题", widget=TextWidget())
    kind = fields.Field(attribute="kind", column_name="答案类型", widget=LabelWidget(Question.Kind, "答案类型"))
    choices = fields.Field(attribute="choices", column_name="选项", widget=OptionsWidget())
    required = fields.Field(attribute="required", column_name="必答", widget=YesNoWidget())
    dissatisfied_below = fields.Field(attribute="dissatisfied_below", column_name="低于几分为不满意",
                                      widget=NumberWidget())
    dissatisfied_answers = fields.Field(attribute="dissatisfied_answers", column_name="不满意答案",
                                        widget=OptionsWidget())

    class Meta:
        model = Question
        fields = ("script", "version_number", "position", "factor", "text", "kind", "choices", "required",
                  "dissatisfied_below", "dissatisfied_answers")
        import_id_fields = ("script", "version_number", "position")
        clean_model_instances = False  # the services' rules, in validate_instance

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self._drafts: dict[tuple[str, int], ScriptVersion] = {}

    # --- export --------------------------------------------------------------------------------
    def dehydrate_script(self, question: Question) -> str:
        return question.version.script.key

    def dehydrate_version_number(self, question: Question) -> int:
        return question.version.number

    def dehydrate_dissatisfied_answers(self, question: Question) -> str:
        if question.kind == Question.Kind.YES_NO:
            shown = {services.YES: "是", services.NO: "否"}
            return OPTION_SEPARATOR.join(shown.get(a, a) for a in question.dissatisfied_answers)
        return OPTION_SEPARATOR.join(question.dissatisfied_answers or [])

    # --- import --------------------------------------------------------------------------------
    def _draft_for(self, row) -> ScriptVersion:
        """The draft the row goes into; a published or replaced version refuses the row."""
        key = TextWidget().clean(row.get("话术标识"))
        number = NumberWidget().clean(row.get("版本"))
        if (key, number) in self._drafts:
            return self._drafts[(key, number)]
        script = Script.objects.filter(key=key).first()
        if script is None:
            raise ValidationError({"script": _("No script has the key “%(key)s”.") % {"key": key}})
        versions = {v.number: v for v in script.versions.all()}
        version = versions.get(number)
        draft = next((v for v in versions.values() if v.status == ScriptVersion.Status.DRAFT), None)
        following = max(versions, default=0) + 1
        if version is not None and version.status != ScriptVersion.Status.DRAFT:
            raise ValidationError({"version_number": _(
                "Version %(number)s of “%(key)s” is %(status)s and is never changed: import into version "
                "%(next)s, a new draft.") % {"number": number, "key": key, "status": version.get_status_display(),
                                            "next": draft.number if draft else following}})
        if version is None:
            if draft is not None or number != following:
                raise ValidationError({"version_number": _(
                    "“%(key)s” has no version %(number)s: import into version %(next)s.")
                    % {"key": key, "number": number, "next": draft.number if draft else following}})
            version = services.script_draft_start(script=script, by=self.user)
        self._drafts[(key, number)] = version
        return version

    def get_instance(self, instance_loader, row):
        draft = self._draft_for(row)
        return draft.questions.filter(position=NumberWidget().clean(row.get("序号"))).first()

    def init_instance(self, row=None):
        return Question(version=self._draft_for(row))

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute:  # the key columns without one only find the draft
            super().import_field(field, instance, row, is_m2m, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.kind == Question.Kind.YES_NO:
            instance.dissatisfied_answers = [YES_NO_CELLS.get(a, a) for a in instance.dissatisfied_answers or []]
        services.question_normalize(instance)
        try:
            services.question_validate(instance)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.position is None or not 1 <= instance.position < 1000:
            errors.setdefault("position", []).append(_("The position must be from 1 to %(max)s.") % {"max": 999})
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        saved, _created = services.question_put(
            version=instance.version, position=instance.position,
            **{name: getattr(instance, name) for name in services.QUESTION_FIELDS})
        instance.pk = saved.pk
