"""The rules that build the queues (回访规则), for the DCRC supervisor: when each kind of callback is
due, how long it stays open, how hard the agents try, what happens to customers who take no calls,
and what each call outcome does. A change applies from the next build (services.building).

Also here: the callback a customer asks for (预约回电), from the customer's page.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from customers.access import get_customer_for_user
from customers.models import ServiceVisit, Vehicle
from dealer_crm.access import get_for_user, require_perm
from dealer_crm.messaging.models import Purpose, SmsTemplate

from ..forms import MarksInvalid
from ..models import CallbackKind, CallbackRule, OutcomeRule
from ..services.building import (
    CallbackRequestError,
    callback_request,
    callback_rule_update,
    due_days_parse,
    outcome_rule_update,
)

VIEW, CHANGE = "callbacks.view_callbackrule", "callbacks.change_callbackrule"
VIEW_OUTCOMES, CHANGE_OUTCOMES = "callbacks.view_outcomerule", "callbacks.change_outcomerule"
WORK = "callbacks.work_callback"


# --- forms ----------------------------------------------------------------------------------------
def _number(label, *, low: int, high: int, help_text="") -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=low, max_value=high, help_text=help_text,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": low, "max": high}),
        error_messages={"required": gettext_lazy("Enter a number."), "invalid": gettext_lazy("Enter a whole number."),
                        "min_value": gettext_lazy("At least %(limit_value)s."),
                        "max_value": gettext_lazy("At most %(limit_value)s.")})


def _service_text(label, *, help_text) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label, required=False, queryset=SmsTemplate.objects.none(), help_text=help_text,
        empty_label=gettext_lazy("— none —"), widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the service texts in use.")})


class CallbackRuleForm(MarksInvalid):
    enabled = forms.BooleanField(label=gettext_lazy("Build these callbacks"), required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    due_days = forms.CharField(
        label=gettext_lazy("Due on days"), max_length=60,
        help_text=gettext_lazy("Days after the source date, separated by commas, e.g. 3, 7: each day is its own callback."),
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": gettext_lazy("Enter at least one day, e.g. 3 or 3, 7.")})
    expires_after_days = _number(gettext_lazy("Open until day"), low=1, high=365,
                                 help_text=gettext_lazy("Counted like the due days; after the end of this day an "
                                                        "open callback closes as expired."))
    priority = _number(gettext_lazy("Priority"), low=-100, high=100,
                       help_text=gettext_lazy("Higher comes first in the queue."))
    max_attempts = _number(gettext_lazy("Attempts"), low=1, high=10)
    attempt_days = _number(gettext_lazy("Over days"), low=1, high=30)
    no_calls = forms.ChoiceField(label=gettext_lazy("Customers who take no calls"), choices=CallbackRule.NoCalls.choices,
                                 widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    sms_template = _service_text(
        gettext_lazy("SMS instead of calling"),
        help_text=gettext_lazy("Service texts only. Sent instead of the callback to customers who take no calls."))
    unreachable_sms_template = _service_text(
        gettext_lazy("SMS after the last failed call"),
        help_text=gettext_lazy("Service texts only. Sent when the last attempt fails and the customer goes to the "
                               "lost-contact list. None: no SMS is sent."))

    def __init__(self, *args, rule: CallbackRule, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        # Service texts in use, and the rule's own text even if it was switched off since.
        for name in ("sms_template", "unreachable_sms_template"):
            self.fields[name].queryset = SmsTemplate.objects.filter(
                Q(purpose=Purpose.SERVICE, active=True) | Q(pk=getattr(rule, f"{name}_id"))).order_by("name")
        if rule.kind == CallbackKind.REQUESTED:
            del self.fields["due_days"]  # the customer names the time

    def clean_due_days(self) -> list[int]:
        return due_days_parse(self.cleaned_data["due_days"])


def _rule_initial(rule: CallbackRule) -> dict:
    return {"enabled": rule.enabled, "due_days": ", ".join(str(day) for day in rule.due_days or []),
            "expires_after_days": rule.expires_after_days, "priority": rule.priority,
            "max_attempts": rule.max_attempts, "attempt_days": rule.attempt_days, "no_calls": rule.no_calls,
            "sms_template": rule.sms_template_id, "unreachable_sms_template": rule.unreachable_sms_template_id}


class OutcomeRuleForm(MarksInvalid):
    retry_after_minutes = forms.IntegerField(
        label=gettext_lazy("Reappears after (minutes)"), min_value=1, max_value=7 * 24 * 60,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 1, "max": 7 * 24 * 60}),
        help_text=gettext_lazy("When a customer whose call failed this way is called again."),
        error_messages={"required": gettext_lazy("Enter after how many minutes the customer is called again "
                                                 "(1 to 10080)."),
                        "invalid": gettext_lazy("Enter a whole number."),
                        "min_value": gettext_lazy("At least %(limit_value)s."),
                        "max_value": gettext_lazy("At most %(limit_value)s (a week).")})


class CallbackRequestForm(MarksInvalid):
    at = forms.DateTimeField(
        label=gettext_lazy("Call back at"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"class": "form-control", "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": gettext_lazy("Choose the day and time the customer asked for."),
                        "invalid": gettext_lazy("Enter a day and time, e.g. 2026-12-03 14:30.")})
    vehicle = forms.ModelChoiceField(label=gettext_lazy("Vehicle"), required=False, queryset=Vehicle.objects.none(),
                                     empty_label=gettext_lazy("— not about one vehicle —"),
                                     widget=forms.Select(attrs={"class": "form-select"}))
    note = forms.CharField(label=gettext_lazy("What it is about"), required=False, max_length=200,
                           widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
                           help_text=gettext_lazy("For the agent who calls, e.g. wants to hear about the warranty."))

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = Vehicle.objects.filter(
            roles__customer=customer, roles__ended_on__isnull=True).distinct().order_by("-delivery_date", "-id")


# --- the rules page ----------------------------------------------------------------------------------
def _get_rule_for_user(user, pk: int) -> CallbackRule:
    return get_for_user(user, CallbackRule.objects.select_related("sms_template", "unreachable_sms_template", "updated_by"), perm=CHANGE, pk=pk)


def _get_outcome_for_user(user, pk: int) -> OutcomeRule:
    return get_for_user(user, OutcomeRule.objects.all(), perm=CHANGE_OUTCOMES, pk=pk)


_KIND_ORDER = {kind: n for n, kind in enumerate(
    [CallbackKind.THANK_YOU, CallbackKind.SSI, CallbackKind.CSI, CallbackKind.SECOND, CallbackKind.REQUESTED])}
_VISIT_ORDER = {kind: n for n, kind in enumerate(["", *ServiceVisit.Kind.values])}
_OUTCOME_ORDER = {outcome: n for n, outcome in enumerate(OutcomeRule.Outcome.values)}


@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    rules = sorted(CallbackRule.objects.select_related("sms_template", "unreachable_sms_template", "updated_by"),
                   key=lambda rule: (_KIND_ORDER.get(rule.kind, 99), _VISIT_ORDER.get(rule.visit_kind, 99)))
    outcomes = sorted(OutcomeRule.objects.all(), key=lambda rule: _OUTCOME_ORDER.get(rule.outcome, 99)) \
        if request.user.has_perm(VIEW_OUTCOMES) else []
    return render(request, "callbacks/rule_list.html", {
        "rules": rules, "outcomes": outcomes, "can_change": request.user.has_perm(CHANGE),
        "can_change_outcomes": request.user.has_perm(CHANGE_OUTCOMES),
    })


@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _get_rule_for_user(request.user, pk)
    form = CallbackRuleForm(request.POST if request.method == "POST" else None, rule=rule, initial=_rule_initial(rule))
    if request.method == "POST" and form.is_valid():
        try:
            callback_rule_update(rule=rule, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("Rule “%(rule)s” saved: the next build uses it.") % {"rule": rule})
            return redirect("callbacks:rule_list")
    return render(request, "callbacks/rule_form.html", {"rule": rule, "form": form})


@require_http_methods(["GET", "POST"])
def outcome_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _get_outcome_for_user(request.user, pk)
    if not rule.takes_delay:  # it ends the callback, or follows the customer's time: nothing to edit
        return render(request, "callbacks/rule_outcome_form.html", {"rule": rule, "form": None, "fixed": True},
                      status=200 if request.method == "GET" else 400)
    form = OutcomeRuleForm(request.POST if request.method == "POST" else None,
                           initial={"retry_after_minutes": rule.retry_after_minutes})
    if request.method == "POST" and form.is_valid():
        try:
            outcome_rule_update(rule=rule, retry_after_minutes=form.cleaned_data["retry_after_minutes"])
        except ValidationError as error:
            for problem in error.message_dict.get("retry_after_minutes", error.messages):
                form.add_error("retry_after_minutes", problem)
        else:
            messages.success(request, _("Outcome “%(outcome)s” saved.") % {"outcome": rule})
            return redirect("callbacks:rule_list")
    return render(request, "callbacks/rule_outcome_form.html", {"rule": rule, "form": form, "fixed": False})


# --- a callback the customer asked for ----------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    require_perm(request.user, WORK)
    customer = get_customer_for_user(request.user, customer_pk)
    form = CallbackRequestForm(request.POST if request.method == "POST" else None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            callback = callback_request(customer=customer, vehicle=form.cleaned_data["vehicle"],
                                        at=form.cleaned_data["at"], note=form.cleaned_data["note"], by=request.user)
        except CallbackRequestError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, _("Callback queued for %(at)s.") % {
                "at": date_format(timezone.localtime(callback.due_at), "SHORT_DATETIME_FORMAT")})
            return redirect("customers:detail", customer.pk)
    return render(request, "callbacks/callback_request.html", {"customer": customer, "form": form})


urlpatterns = [
    path("rules/", rule_list, name="rule_list"),
    path("rules/<int:pk>/", rule_edit, name="rule_edit"),
    path("rules/outcomes/<int:pk>/", outcome_edit, name="outcome_edit"),
    path("request/<int:customer_pk>/", request_create, name="request"),
]
