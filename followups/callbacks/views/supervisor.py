"""The DCRC supervisor's view of the callback centre (回访监控): the day's figures and each agent's,
what is late, all callbacks with bulk reassignment and the xlsx export, and the lost contacts.

Who may do what:
- the DCRC supervisor (`callbacks.supervise_callback`) reads and acts: reassigns, tries again;
- those who oversee the department without working its queue — the general manager, who holds
  `callbacks.view_callback` but not `callbacks.work_callback` — read the same pages, without the
  controls that change anything (and the export, if they hold the export permission);
- agents work their own queue on the workbench: these pages are 403 to them.
"""

from dataclasses import asdict, replace

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from dealer_crm.access import require_perm
from dealer_crm.exports import FORMATS, ExportTooLarge
from dealer_crm.paging import sort_headers, uncounted_page

from .. import exports
from ..models import Callback, CallbackKind
from ..selectors import supervision as selectors
from ..services import supervision as services

SUPERVISE = "callbacks.supervise_callback"
VIEW = "callbacks.view_callback"
WORK = "callbacks.work_callback"
EXPORT = "customers.export_customers"
PAGE_SIZE = 50
LOST_PAGE_SIZE = 30
SMALL_INPUT = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}


# --- access -----------------------------------------------------------------------------------
def can_read_supervision(user) -> bool:
    """The supervisor, or someone who oversees the department without working its queue (the GM)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.has_perm(SUPERVISE) or (user.has_perm(VIEW) and not user.has_perm(WORK))


def _require_read(user) -> None:
    if not can_read_supervision(user):
        raise PermissionDenied


# --- forms ------------------------------------------------------------------------------------
class DayForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), required=False,
                          # ISO, as <input type="date"> takes it (the store's format writes 2026/06/10).
                          widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **SMALL_INPUT}))

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["day"].initial = today
        self.fields["day"].widget.attrs["max"] = today.isoformat()

    def clean_day(self):
        day = self.cleaned_data["day"] or self.today
        if day > self.today:
            raise forms.ValidationError(_("That day has not come yet: choose today or a day before."))
        return day

    def chosen_day(self):
        """The chosen day; today when none (or a wrong one) is given (the form then shows why)."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["day"]
        return self.today


UNASSIGNED = "none"
ORDER_CHOICES = [
    ("due", gettext_lazy("Due, earliest first")), ("-due", gettext_lazy("Due, latest first")),
    ("customer", gettext_lazy("Customer")), ("-attempts", gettext_lazy("Most attempts first")),
    ("status", gettext_lazy("Status")),
]


def _agent_choices(agents) -> list[tuple[str, str]]:
    return [(str(agent.pk), str(agent)) for agent in agents]


class CallbackFilterForm(forms.Form):
    """The callback list's filters; due dates are the store's local days, both included."""

    # The list opens on the callbacks still to do (those the supervisor reassigns); "all statuses" is a choice.
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, initial=selectors.NOT_CLOSED,
                               choices=[(selectors.NOT_CLOSED, gettext_lazy("Not closed (in the queue or being called)")),
                                        ("", gettext_lazy("All statuses")), *Callback.Status.choices],
                               widget=forms.Select(attrs=SMALL_SELECT))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("All kinds")), *CallbackKind.choices],
                             widget=forms.Select(attrs=SMALL_SELECT))
    agent = forms.ChoiceField(label=gettext_lazy("Agent"), required=False, widget=forms.Select(attrs=SMALL_SELECT))
    due_from = forms.DateField(label=gettext_lazy("Due from"), required=False,
                               widget=forms.DateInput(attrs={"type": "date", **SMALL_INPUT}))
    due_until = forms.DateField(label=gettext_lazy("Due until"), required=False,
                                widget=forms.DateInput(attrs={"type": "date", **SMALL_INPUT}))
    customer = forms.CharField(label=gettext_lazy("Customer name"), required=False, max_length=50,
                               widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name contains"),
                                                             **SMALL_INPUT}))
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    order = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=ORDER_CHOICES,
                              widget=forms.Select(attrs=SMALL_SELECT))

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", _("Everyone")), (UNASSIGNED, _("Nobody yet")),
                                        *_agent_choices(agents)]

    def filters(self) -> "selectors.CallbackFilters | None":
        """The filters, or None when one is not valid (the page then shows the form's errors)."""
        if not self.is_bound:
            return selectors.CallbackFilters(status=selectors.NOT_CLOSED)
        if not self.is_valid():
            return None
        data = self.cleaned_data
        if data["due_from"] and data["due_until"] and data["due_from"] > data["due_until"]:
            self.add_error("due_until", _("The end is before the start."))
            return None
        agent = data["agent"]
        return selectors.CallbackFilters(
            status=data["status"], kind=data["kind"], unassigned=agent == UNASSIGNED,
            agent_id=int(agent) if agent and agent != UNASSIGNED else None,
            due_from=data["due_from"], due_until=data["due_until"], customer=data["customer"].strip(),
            overdue=data["overdue"], order=data["order"] or "due")


class ReassignForm(forms.Form):
    """The ticked callbacks (`callback`, as many as a page holds), whom to give them to, and whether
    those being called move too. The ids are only checked to be ids: the service re-checks each row."""

    MAX_IDS = 500

    agent = forms.ChoiceField(label=gettext_lazy("Give to"), widget=forms.Select(attrs=SMALL_SELECT),
                              error_messages={"required": gettext_lazy("Choose whom to give the callbacks to."),
                                              "invalid_choice": gettext_lazy("Choose an agent from the list.")})
    include_in_progress = forms.BooleanField(label=gettext_lazy("Also the ones being called"), required=False,
                                             widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, agents, **kwargs):
        kwargs.setdefault("auto_id", "reassign_%s")  # the filters above have an agent field too
        super().__init__(*args, **kwargs)
        self.agents = {agent.pk: agent for agent in agents}
        self.fields["agent"].choices = [("", _("Choose…")), (UNASSIGNED, _("Nobody (the whole team)")),
                                        *_agent_choices(agents)]

    def clean(self):
        data = super().clean()
        values = self.data.getlist("callback") if hasattr(self.data, "getlist") else []
        ids = {int(value) for value in values if value.isascii() and value.isdigit() and 0 < int(value) < 2**63}
        if not ids:
            raise forms.ValidationError(_("Tick the callbacks to reassign first."))
        if len(ids) > self.MAX_IDS:
            raise forms.ValidationError(_("Reassign at most %(n)d callbacks at a time.") % {"n": self.MAX_IDS})
        data["callback"] = sorted(ids)
        return data


# --- pages ------------------------------------------------------------------------------------
@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    _require_read(request.user)
    now = timezone.now()
    form = DayForm(request.GET or None, today=timezone.localdate(now))
    day = form.chosen_day()
    figures = selectors.day_figures(day=day, now=now)
    return render(request, "callbacks/supervisor.html", {
        "form": form, "day": day, "is_today": day == form.today, "figures": figures,
        "agents": selectors.agents_day(day=day),
        "overdue_callbacks": list(selectors.overdue_callbacks(now=now)[:selectors.OVERDUE_ROWS]),
        "overdue_problems": list(selectors.overdue_problems(now=now)[:selectors.OVERDUE_ROWS]),
        "now": now, "overdue_before": now - selectors.OVERDUE_AFTER, "expiring_before": now + selectors.EXPIRING_WITHIN,
        "can_supervise": request.user.has_perm(SUPERVISE),
    })


def _list_context(request: HttpRequest) -> tuple[CallbackFilterForm, "selectors.CallbackFilters | None", list]:
    agents = list(selectors.callback_agents())
    form = CallbackFilterForm(request.GET or None, agents=agents)
    return form, form.filters(), agents


@require_GET
def callback_list(request: HttpRequest) -> HttpResponse:
    _require_read(request.user)
    form, filters, agents = _list_context(request)
    rows = selectors.callback_list(filters=filters) if filters is not None else Callback.objects.none()
    count = rows.count()
    page = uncounted_page(rows, request.GET.get("page"), per_page=PAGE_SIZE, rows=count)
    query = request.GET.copy()
    query.pop("page", None)
    can_supervise = request.user.has_perm(SUPERVISE)
    return render(request, "callbacks/supervisor_list.html", {
        "form": form, "page": page, "count": count, "query": query.urlencode(),
        "query_items": [(name, value) for name, values in query.lists() for value in values],
        "sort_headers": sort_headers(query, columns=SORTABLE_COLUMNS, current=(filters or selectors.CallbackFilters()).order),
        "agents": agents, "can_supervise": can_supervise,
        "can_export": request.user.has_perm(EXPORT),
        "reassign_form": ReassignForm(agents=agents) if can_supervise else None,
    })


# The columns that sort: the order a first click asks for, and the reverse a second click asks for.
SORTABLE_COLUMNS = {"due": ("due", "-due"), "customer": ("customer", "-customer"),
                    "attempts": ("-attempts", "attempts"), "status": ("status", "-status")}


def _back_to_list(query: str) -> str:
    # Only the query string travels in the form: the address is always the list's own.
    return reverse("callbacks:callback_list") + (f"?{QueryDict(query).urlencode()}" if query else "")


@require_POST
def callback_reassign(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, SUPERVISE)
    agents = list(selectors.callback_agents())
    form = ReassignForm(request.POST, agents=agents)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back_to_list(request.POST.get("query", "")))
    data = form.cleaned_data
    ids, include = data["callback"], data["include_in_progress"]
    try:
        if data["agent"] == UNASSIGNED:
            moved = services.callbacks_unassign(callback_ids=ids, by=request.user, include_in_progress=include)
            text = _("%(moved)d of %(chosen)d callbacks are back with the whole team.")
        else:
            agent = form.agents[int(data["agent"])]
            moved = services.callbacks_reassign(callback_ids=ids, agent=agent, by=request.user,
                                                include_in_progress=include)
            text = _("%(moved)d of %(chosen)d callbacks are given to %(agent)s.")
    except services.SupervisionError as error:
        messages.error(request, str(error))
    else:
        words = {"moved": moved, "chosen": len(ids), "agent": "" if data["agent"] == UNASSIGNED else agent}
        (messages.success if moved else messages.warning)(request, text % words)
        if moved < len(ids):
            messages.info(request, _("The others were closed, were theirs already, or are being called "
                                     "(tick “Also the ones being called” to move those too)."))
    return redirect(_back_to_list(data["query"]))


@require_GET
def callback_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The list as the same filters and order show it, every page of it, as xlsx or CSV."""
    _require_read(request.user)
    require_perm(request.user, EXPORT)
    if fmt not in FORMATS:
        raise Http404
    _form, filters, _agents = _list_context(request)
    back = reverse("callbacks:callback_list") + (f"?{request.GET.urlencode()}" if request.GET else "")
    if filters is None:
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(back)
    # The audit log says what was filtered, never whom: a name typed in the filter is logged as "given".
    logged = asdict(replace(filters, customer=bool(filters.customer) or ""))
    try:
        return exports.callback_list_export(filters=filters, logged_filters=logged, fmt=fmt, by=request.user)
    except ExportTooLarge as error:
        messages.error(request, str(error))
        return redirect(back)


@require_GET
def lost_contact(request: HttpRequest) -> HttpResponse:
    _require_read(request.user)
    rows = selectors.lost_contacts()
    page = uncounted_page(rows, request.GET.get("page"), per_page=LOST_PAGE_SIZE, rows=rows.count())
    return render(request, "callbacks/supervisor_lost_contact.html", {
        "page": page, "query": "", "query_items": [], "can_supervise": request.user.has_perm(SUPERVISE),
        "label": capfirst(Callback.Status.LOST_CONTACT.label),
    })


@require_POST
def lost_contact_retry(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, SUPERVISE)
    callback = get_object_or_404(Callback.objects.select_related("customer"), pk=pk)
    try:
        retry = services.callback_retry_lost(callback=callback, by=request.user)
    except services.SupervisionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(customer)s is in the queue again for %(due)s.") % {
            "customer": callback.customer, "due": f"{timezone.localtime(retry.due_at):%Y-%m-%d %H:%M}"})
    page = request.POST.get("page", "")
    return redirect(reverse("callbacks:lost_contact") + (f"?page={int(page)}" if page.isdigit() else ""))


urlpatterns = [
    path("supervisor/", supervisor, name="supervisor"),
    path("list/", callback_list, name="callback_list"),
    path("list/reassign/", callback_reassign, name="callback_reassign"),
    path("list/export/<str:fmt>/", callback_list_export, name="callback_list_export"),
    path("lost-contact/", lost_contact, name="lost_contact"),
    path("lost-contact/<int:pk>/retry/", lost_contact_retry, name="lost_contact_retry"),
]
