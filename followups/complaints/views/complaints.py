"""Complaints (投诉): the list with its filters and the time left on each deadline, registering one
from the customer's page, one complaint's page with its whole story and the actions its user may
take now, escalating a problem to a complaint, and the improvement plans of the case analyses.

Who may do what is the services' rule (`can_register`, `can_act`, `can_supervise`; the moves a
state allows are `allowed_moves`): the page shows a form only to who may send it, and each POST
view checks the same function, then calls one service. A refused step comes back as a
ComplaintError message; a PermissionDenied from a service is a 403.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.access import get_customer_for_user
from customers.phone_privacy import whole_number_check_allowed
from dealer_crm.access import require_perm
from dealer_crm.paging import sort_headers
from followups.callbacks.services.problems import may_read
from followups.callbacks.views.problems import get_problem_for_user

from .. import forms, selectors, services
from ..models import Complaint, ComplaintStep, ImprovementPlan, Severity

VIEW, ADD = "complaints.view_complaint", "complaints.add_complaint"
HANDLE = "complaints.handle_complaint"
PAGE_SIZE = 30
PLAN_PAGE_SIZE = 50
A = ComplaintStep.Action
# The columns that sort: the order a first click asks for, and the reverse a second click asks for.
SORTABLE_COLUMNS = {"deadline": ("deadline", "-deadline"), "registered": ("-registered", "registered"),
                    "severity": ("-severity", "severity")}


# --- access ---------------------------------------------------------------------------------------
def get_complaint_for_user(user, pk: int) -> Complaint:
    """The complaint with its whole story, if the user may read it: 403 without the right to read
    complaints (before anything is looked up), 404 for no such complaint, 403 for one the user does
    not see (selectors.visible_complaints)."""
    require_perm(user, VIEW)
    found = get_object_or_404(Complaint.objects.only("pk"), pk=pk)
    try:
        return selectors.complaint_detail(complaints=selectors.visible_complaints(user), pk=found.pk)
    except Complaint.DoesNotExist:
        raise PermissionDenied from None


# --- the list -------------------------------------------------------------------------------------
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    user, now = request.user, timezone.now()
    handlers = list(selectors.complaint_handlers())
    severities = list(Severity.objects.order_by("rank", "code"))
    form = forms.ComplaintFilterForm(request.GET or None, handlers=handlers, severities=severities)
    filters = form.filters()
    rows = selectors.complaint_list(user=user, filters=filters, now=now)
    if filters.mobile and not whole_number_check_allowed(user=user, number=filters.mobile, via="complaint_list"):
        messages.error(request, _("Too many searches by phone number in the last hour: try again later, "
                                  "or search by name."))
        rows = rows.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    clocks = selectors.Clocks()
    for complaint in page.object_list:
        complaint.deadline = selectors.running_deadline(complaint, now=now, clocks=clocks)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "complaints/complaint_list.html", {
        "form": form, "filters": filters, "page": page, "now": now, "query": query.urlencode(),
        "sort_headers": sort_headers(query, columns=SORTABLE_COLUMNS, current=filters.order),
        "filtered": any(value for name, value in request.GET.items() if name not in ("page", "order")),
    })


# --- registering ----------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def complaint_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, ADD)
    raw = request.GET.get("customer", "")
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63):
        return render(request, "complaints/complaint_create.html", {"customer": None}, status=400 if raw else 200)
    customer = get_customer_for_user(request.user, int(raw))
    can_assign = services.can_supervise(request.user)
    form = forms.ComplaintRegisterForm(request.POST or None, customer=customer, can_assign=can_assign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_register(
                customer=customer, vehicle=data["vehicle"], channel=data["channel"], category=data["category"],
                severity=data["severity"], description=data["description"], department=data["department"],
                person_concerned=data["person_concerned"], owner=data.get("owner"), by=request.user)
        except services.ComplaintError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Complaint %(number)s is registered.") % {"number": complaint.number})
            return redirect("complaints:complaint_detail", pk=complaint.pk)
    return render(request, "complaints/complaint_create.html", {"customer": customer, "form": form},
                  status=400 if request.method == "POST" else 200)


# --- one complaint --------------------------------------------------------------------------------
def _problem_url(user, complaint: Complaint) -> str:
    """The escalated problem's page, for who may open it (its department's manager, the DCRC)."""
    problem = complaint.problem
    if problem is None or not may_read(user, problem):
        return ""
    return reverse("callbacks:problem_detail", args=[problem.pk])


def _analysis_of(complaint: Complaint):
    try:
        return complaint.analysis
    except Complaint.analysis.RelatedObjectDoesNotExist:
        return None


def _manufacturer_item_of(complaint: Complaint):
    try:
        return complaint.manufacturer_item
    except Complaint.manufacturer_item.RelatedObjectDoesNotExist:
        return None


def _detail(request: HttpRequest, complaint: Complaint, *, bound: dict | None = None, status: int = 200) -> HttpResponse:
    """The complaint's page; `bound` holds a form sent back with its errors (by its key: a move's
    action, "pause", "note", "assign", …), shown instead of the empty one so nothing typed is lost."""
    bound = bound or {}
    user, now = request.user, timezone.now()
    can_act, can_supervise = services.can_act(user, complaint), services.can_supervise(user)
    analysis = _analysis_of(complaint)
    plans = list(analysis.plans.all()) if analysis else []
    for plan in plans:
        plan.can_done = plan.done_at is None and (can_supervise or plan.owner_id == user.pk)
        if plan.can_done:
            plan.done_form = bound.get(f"plan-{plan.pk}") or forms.PlanDoneForm(
                prefix=f"done{plan.pk}", initial={"next": request.path})
    moves, close_needs_analysis = [], False
    if can_act:
        for action in services.allowed_moves(complaint):
            if action == A.CLOSED and analysis is None:
                close_needs_analysis = True
                continue
            moves.append(bound.get(action) or forms.MoveForm(action=action))
    paused, is_open = complaint.paused_at is not None, complaint.is_open
    writes_analysis = can_act and complaint.status != Complaint.Status.CLOSED
    handlers = list(selectors.complaint_handlers()) if writes_analysis or (can_supervise and is_open) else None
    analysis_form = plan_formset = None
    if writes_analysis:
        analysis_form = bound.get("analysis") or forms.AnalysisForm(initial={
            "root_cause": analysis.root_cause, "root_cause_text": analysis.root_cause_text,
            "lesson": analysis.lesson, "shared": analysis.shared} if analysis else None)
        plan_formset = bound.get("plans") or forms.PlanFormSet(handlers=handlers)
    severity_names = dict(Severity.objects.values_list("code", "name"))
    steps = list(complaint.steps.all())
    for step in steps:
        step.severity_from = severity_names.get(step.params.get("from"), step.params.get("from"))
        step.severity_to = severity_names.get(step.params.get("to"), step.params.get("to"))
    clocks = selectors.Clocks()
    running = selectors.running_deadline(complaint, now=now, clocks=clocks)
    assign_first = can_supervise and is_open and complaint.owner_id is None
    return render(request, "complaints/complaint_detail.html", {
        "complaint": complaint, "now": now, "deadlines": selectors.deadlines_of(complaint, now=now, clocks=clocks),
        "running": running, "overdue": running is not None and running.overdue,
        "steps": steps, "escalations": list(complaint.escalations.all()),
        "analysis": analysis, "plans": plans, "manufacturer_item": _manufacturer_item_of(complaint),
        "problem_url": _problem_url(user, complaint),
        "can_act": can_act, "can_supervise": can_supervise,
        "moves": moves, "close_needs_analysis": close_needs_analysis,
        "pause_form": (bound.get("pause") or forms.PauseForm())
        if can_act and not paused and complaint.status in services.PAUSABLE else None,
        "resume_form": (bound.get("resume") or forms.ResumeForm()) if can_act and paused else None,
        "note_form": (bound.get("note") or forms.NoteForm()) if can_act else None,
        "assign_form": (bound.get("assign") or forms.AssignForm(handlers=handlers, initial={"owner": complaint.owner_id}))
        if can_supervise and is_open else None,
        "reclassify_form": (bound.get("reclassify") or forms.ReclassifyForm(complaint=complaint))
        if can_supervise and is_open else None,
        "analysis_form": analysis_form, "plan_formset": plan_formset,
        # Nobody handles it yet: for the supervisor, giving it to someone comes before its next step.
        "assign_first": assign_first,
        # A step forward is there to take (reopening is not one: it is folded away).
        "next_step_due": not assign_first and any(move.action != A.REOPENED for move in moves),
        # The case analysis is written once the customer has had their say: its form opens by itself then.
        "analysis_due": (Complaint.Status.FOLLOWED_UP, Complaint.Status.SATISFIED),
    }, status=status)


@require_GET
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_complaint_for_user(request.user, pk))


def _acting(request: HttpRequest, pk: int) -> Complaint:
    complaint = get_complaint_for_user(request.user, pk)
    if not services.can_act(request.user, complaint):
        raise PermissionDenied
    return complaint


def _done(request: HttpRequest, complaint: Complaint, call, success: str) -> HttpResponse:
    """Run one service; its refusal is the page's error message."""
    try:
        call()
    except services.ComplaintError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("complaints:complaint_detail", pk=complaint.pk)


MOVE_DONE = {
    A.CONTACTED: gettext_lazy("The first contact is recorded."),
    A.INVESTIGATING: gettext_lazy("The investigation has started."),
    A.VISITED: gettext_lazy("The home visit is recorded."),
    A.AGREED: gettext_lazy("The solution agreed is recorded."),
    A.SOLVED: gettext_lazy("The complaint is solved: the follow-up is due within %(days)s days."),
    A.FOLLOWED_UP: gettext_lazy("The follow-up is recorded."),
    A.SATISFIED: gettext_lazy("The customer's satisfaction is recorded."),
    A.CLOSED: gettext_lazy("The complaint is closed."),
    A.REOPENED: gettext_lazy("The complaint is reopened: a new round with a new solution deadline."),
}


@require_POST
def complaint_move(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in services.TRANSITIONS:
        raise Http404
    complaint = _acting(request, pk)
    form = forms.MoveForm(request.POST, action=action)
    if not form.is_valid():
        return _detail(request, complaint, bound={action: form}, status=400)
    data = form.cleaned_data
    return _done(request, complaint, lambda: services.complaint_move(
        complaint=complaint, action=action, by=request.user, note=data["note"],
        solution=data.get("solution", ""), cost=data.get("cost")),
        str(MOVE_DONE[action]) % {"days": settings.COMPLAINT_FOLLOW_UP_DAYS})


def _noted_step(request: HttpRequest, pk: int, *, form_class, key: str, service, done: str) -> HttpResponse:
    """A step whose form is one note (pause, resume, add a note): the owner's or the supervisor's,
    the form shown again with its error on bad input, else the one service."""
    complaint = _acting(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _detail(request, complaint, bound={key: form}, status=400)
    return _done(request, complaint, lambda: service(complaint=complaint, by=request.user,
                                                     note=form.cleaned_data["note"]), done)


@require_POST
def complaint_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _noted_step(request, pk, form_class=forms.PauseForm, key="pause", service=services.complaint_pause,
                       done=_("The clock is paused until the customer answers."))


@require_POST
def complaint_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _noted_step(request, pk, form_class=forms.ResumeForm, key="resume", service=services.complaint_resume,
                       done=_("The clock runs again: the solution deadline moved on by the time it stood."))


@require_POST
def complaint_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _noted_step(request, pk, form_class=forms.NoteForm, key="note", service=services.complaint_note,
                       done=_("The note is added."))


@require_POST
def complaint_assign(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = get_complaint_for_user(request.user, pk)
    if not services.can_supervise(request.user):
        raise PermissionDenied
    form = forms.AssignForm(request.POST)
    if not form.is_valid():
        return _detail(request, complaint, bound={"assign": form}, status=400)
    owner = form.cleaned_data["owner"]
    return _done(request, complaint, lambda: services.complaint_assign(
        complaint=complaint, owner=owner, by=request.user, note=form.cleaned_data["note"]),
        _("The complaint is given to %(name)s.") % {"name": owner})


@require_POST
def complaint_reclassify(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = get_complaint_for_user(request.user, pk)
    if not services.can_supervise(request.user):
        raise PermissionDenied
    form = forms.ReclassifyForm(request.POST, complaint=complaint)
    if not form.is_valid():
        return _detail(request, complaint, bound={"reclassify": form}, status=400)
    severity = form.cleaned_data["severity"]
    return _done(request, complaint, lambda: services.complaint_reclassify(
        complaint=complaint, severity=severity, by=request.user, note=form.cleaned_data["note"]),
        _("The complaint is now %(severity)s: its deadlines are counted again.") % {"severity": severity.name})


@require_POST
def complaint_analysis(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _acting(request, pk)
    handlers = list(selectors.complaint_handlers())
    form = forms.AnalysisForm(request.POST)
    plans = forms.PlanFormSet(request.POST, handlers=handlers)
    if not (form.is_valid() and plans.is_valid()):
        return _detail(request, complaint, bound={"analysis": form, "plans": plans}, status=400)
    data = form.cleaned_data
    try:
        services.analysis_write(complaint=complaint, root_cause=data["root_cause"], root_cause_text=data["root_cause_text"],
                                lesson=data["lesson"], shared=data["shared"], plans=plans.plans(), by=request.user)
    except services.ComplaintError as error:
        # Written in one transaction: nothing was kept, so the page shows what was typed, with why.
        form.add_error(None, str(error))
        return _detail(request, complaint, bound={"analysis": form, "plans": plans}, status=400)
    messages.success(request, _("The case analysis is saved."))
    return redirect("complaints:complaint_detail", pk=complaint.pk)


# --- escalating a problem -------------------------------------------------------------------------
@require_POST
def escalate_problem(request: HttpRequest, problem_pk: int) -> HttpResponse:
    """A problem the department could not settle becomes a complaint (once: a second press opens the
    complaint made by the first)."""
    require_perm(request.user, ADD)
    problem = get_problem_for_user(request.user, problem_pk)
    try:
        complaint = services.complaint_from_problem(problem=problem, by=request.user)
    except services.ComplaintError as error:
        messages.error(request, str(error))
        return redirect("callbacks:problem_detail", pk=problem.pk)
    messages.success(request, _("The problem is escalated to complaint %(number)s.") % {"number": complaint.number})
    if selectors.visible_complaints(request.user).filter(pk=complaint.pk).exists():
        return redirect("complaints:complaint_detail", pk=complaint.pk)
    return redirect("callbacks:problem_detail", pk=problem.pk)


# --- improvement plans ----------------------------------------------------------------------------
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, HANDLE)
    form = forms.PlanFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(selectors.plan_list(user=request.user, filters=filters), PLAN_PAGE_SIZE).get_page(
        request.GET.get("page"))
    can_supervise = services.can_supervise(request.user)
    for plan in page.object_list:
        if plan.done_at is None and (can_supervise or plan.owner_id == request.user.pk):
            plan.done_form = forms.PlanDoneForm(prefix=f"done{plan.pk}", initial={"next": request.get_full_path()})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "complaints/plan_list.html", {
        "form": form, "filters": filters, "page": page, "query": query.urlencode(), "today": timezone.localdate()})


def _next_url(request: HttpRequest, value: str, default: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return value
    return default


@require_POST
def plan_done(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, VIEW)
    plan = get_object_or_404(ImprovementPlan.objects.select_related("analysis"), pk=pk)
    if not (services.can_supervise(request.user) or plan.owner_id == request.user.pk):
        raise PermissionDenied
    form = forms.PlanDoneForm(request.POST, prefix=f"done{plan.pk}")
    back = reverse("complaints:plan_list")
    if selectors.visible_complaints(request.user).filter(pk=plan.analysis.complaint_id).exists():
        back = reverse("complaints:complaint_detail", args=[plan.analysis.complaint_id])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_next_url(request, request.POST.get(f"done{plan.pk}-next", ""), back))
    try:
        services.plan_done(plan=plan, by=request.user, note=form.cleaned_data["note"])
    except services.ComplaintError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The improvement is recorded as done."))
    return redirect(_next_url(request, form.cleaned_data["next"], back))


urlpatterns = [
    path("", complaint_list, name="complaint_list"),
    path("new/", complaint_create, name="complaint_create"),
    path("<int:pk>/", complaint_detail, name="complaint_detail"),
    path("<int:pk>/move/<slug:action>/", complaint_move, name="complaint_move"),
    path("<int:pk>/pause/", complaint_pause, name="complaint_pause"),
    path("<int:pk>/resume/", complaint_resume, name="complaint_resume"),
    path("<int:pk>/note/", complaint_note, name="complaint_note"),
    path("<int:pk>/assign/", complaint_assign, name="complaint_assign"),
    path("<int:pk>/reclassify/", complaint_reclassify, name="complaint_reclassify"),
    path("<int:pk>/analysis/", complaint_analysis, name="complaint_analysis"),
    path("problems/<int:problem_pk>/escalate/", escalate_problem, name="escalate_problem"),
    path("plans/", plan_list, name="plan_list"),
    path("plans/<int:pk>/done/", plan_done, name="plan_done"),
]
