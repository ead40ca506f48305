"""The supervisor's forms: a new script, a draft's words, one question. They only shape the input;
the rules are the services' (a service's ValidationError is put back on the form's fields)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Factor, Question, Script, ScriptVersion
from .services import NO, YES


class Styled:
    """Bootstrap's classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = ("form-check-input" if isinstance(widget, forms.CheckboxInput)
                   else "form-select" if isinstance(widget, forms.Select) else "form-control")
            widget.attrs["class"] = css


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ScriptForm(Styled, forms.ModelForm):
    class Meta:
        model = Script
        fields = ["name", "key", "kind", "brand"]
        help_texts = {"key": _("Letters, digits, - and _; used by the spreadsheet import, e.g. renault_ssi.")}


class DraftForm(Styled, forms.ModelForm):
    class Meta:
        model = ScriptVersion
        fields = ["opening", "closing", "note"]
        widgets = {"opening": forms.Textarea(attrs={"rows": 6}), "closing": forms.Textarea(attrs={"rows": 3})}


class QuestionForm(Styled, forms.Form):
    """One question. The dissatisfied rule has one field per answer type (the page works without
    script): the field of the chosen type counts, the others are ignored."""

    YES_NO_RULES = [("", _("Neither")), (NO, _("“No” is dissatisfied")), (YES, _("“Yes” is dissatisfied"))]

    text = forms.CharField(label=_("question"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)
    factor = forms.ChoiceField(label=_("factor"), choices=Factor.choices, initial=Factor.OVERALL)
    kind = forms.ChoiceField(label=_("answer type"), choices=Question.Kind.choices, initial=Question.Kind.SCORE)
    required = forms.BooleanField(label=_("required"), required=False, initial=True)
    dissatisfied_below = forms.IntegerField(
        label=_("score: dissatisfied below"), required=False, min_value=1, max_value=10, initial=7,
        help_text=_("7 means a score of 0–6 is dissatisfied. Empty: no score is."))
    yes_no_dissatisfied = forms.ChoiceField(label=_("yes/no: dissatisfied answer"), choices=YES_NO_RULES,
                                            required=False, initial=NO)
    choices = forms.CharField(label=_("choice: options"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("One option a line, in the order the agent reads them."))
    choice_dissatisfied = forms.CharField(
        label=pgettext_lazy("question form", "choice: dissatisfied options"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}), help_text=_("One a line, each one of the options."))

    @classmethod
    def initial_of(cls, question: Question) -> dict:
        return {
            "text": question.text, "factor": question.factor, "kind": question.kind, "required": question.required,
            "dissatisfied_below": question.dissatisfied_below,
            "yes_no_dissatisfied": (question.dissatisfied_answers or [""])[0] if question.kind == Question.Kind.YES_NO
            else NO,
            "choices": "\n".join(question.choices or []),
            "choice_dissatisfied": "\n".join(question.dissatisfied_answers or [])
            if question.kind == Question.Kind.CHOICE else "",
        }

    def service_fields(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        answers = {Question.Kind.YES_NO: [data["yes_no_dissatisfied"]] if data["yes_no_dissatisfied"] else [],
                   Question.Kind.CHOICE: lines(data["choice_dissatisfied"])}.get(kind, [])
        return {"text": data["text"], "factor": data["factor"], "kind": kind, "required": data["required"],
                "dissatisfied_below": data["dissatisfied_below"], "choices": lines(data["choices"]),
                "dissatisfied_answers": answers}

    def add_service_error(self, error: ValidationError) -> None:
        """A service's refusal, on the field it names (the dissatisfied answers: the field of the type)."""
        fields = {"dissatisfied_answers": "choice_dissatisfied" if self.cleaned_data.get("kind") == Question.Kind.CHOICE
                  else "yes_no_dissatisfied"}
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                name = fields.get(name, name)
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)
