"""Problems (反馈问题): the managers' inbox (my department's problems, overdue first), one problem's
page with what the customer said, its log and the forms of the next step (fix, close, move), and
raising a problem by hand from a customer's page.

Who may do what is the services' rule (services/problems.py: can_fix, can_close, can_reassign);
the page shows a form only to who may send it, and the POST views ask the same functions.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.access import get_customer_for_user
from customers.models import Customer, Vehicle
from dealer_crm.access import require_perm

from ..forms import MarksInvalid
from ..models import Department, Problem
from ..selectors import problems as selectors
from ..services import problems as services
from ..services.calls import may_open

VIEW, ADD = "callbacks.view_problem", "callbacks.add_problem"
PAGE_SIZE = 30
DUE_SOON = timedelta(hours=4)  # an open problem this close to its deadline stands out in the inbox
TEXT_MAX = 2000


# --- forms ----------------------------------------------------------------------------------------
def _text_field(label, *, rows: int = 3, placeholder="") -> forms.CharField:
    return forms.CharField(
        label=label, max_length=TEXT_MAX, strip=True,
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control", "placeholder": placeholder}))


class ProblemFilterForm(forms.Form):
    tab = forms.ChoiceField(choices=[(tab, tab) for tab in selectors.TABS], required=False, widget=forms.HiddenInput)
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False,
                                   widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False,
                                 choices=[("", gettext_lazy("All"))] + Problem.Category.choices,
                                 widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    complaint = forms.BooleanField(label=gettext_lazy("Complaints only"), required=False,
                                   widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    sort = forms.ChoiceField(choices=[(key, key) for key in selectors.SORTS], required=False, widget=forms.HiddenInput)

    def __init__(self, *args, departments: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", gettext_lazy("All"))] + [
            (code, label) for code, label in Department.choices if code in departments]
        if len(departments) < 2:  # one department: nothing to choose
            del self.fields["department"]

    def filters(self) -> selectors.ProblemFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.ProblemFilters(
            tab=data.get("tab") or "open", department=data.get("department") or "",
            category=data.get("category") or "", overdue=bool(data.get("overdue")),
            complaint=bool(data.get("complaint")), sort=data.get("sort") or "")


class ProblemFixForm(MarksInvalid):
    cause = _text_field(gettext_lazy("Cause"), rows=2, placeholder=gettext_lazy("Why it happened"))
    fix = _text_field(gettext_lazy("What was done"), rows=3,
                      placeholder=gettext_lazy("What the department did for the customer, and when"))


class ProblemCloseForm(MarksInvalid):
    reason = forms.CharField(label=gettext_lazy("Reason for closing"), max_length=200, strip=True,
                             error_messages={"required": gettext_lazy("Write why the problem is closed.")},
                             widget=forms.TextInput(attrs={"class": "form-control"}))


class ProblemReassignForm(MarksInvalid):
    department = forms.ChoiceField(label=gettext_lazy("Move to"), choices=Department.choices,
                                   widget=forms.Select(attrs={"class": "form-select"}))
    note = forms.CharField(label=gettext_lazy("Why"), max_length=500, strip=True,
                           error_messages={"required": gettext_lazy("Write why the problem moves.")},
                           widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, problem: Problem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(c, label) for c, label in Department.choices if c != problem.department]


class ProblemRaiseForm(MarksInvalid):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=[("", "—")] + Problem.Category.choices,
                                 error_messages={"required": gettext_lazy("Choose the problem's category.")},
                                 widget=forms.Select(attrs={"class": "form-select"}))
    department = forms.ChoiceField(label=gettext_lazy("Department responsible"),
                                   choices=[("", "—")] + Department.choices,
                                   error_messages={"required": gettext_lazy("Choose the department responsible.")},
                                   widget=forms.Select(attrs={"class": "form-select"}))
    vehicle = forms.ModelChoiceField(label=gettext_lazy("Vehicle"), queryset=Vehicle.objects.none(), required=False,
                                     empty_label=gettext_lazy("Not about a vehicle"),
                                     widget=forms.Select(attrs={"class": "form-select"}))
    description = _text_field(gettext_lazy("What the customer said"), rows=4,
                              placeholder=gettext_lazy("In the customer's words: what went wrong, what they expect"))

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        vehicles = Vehicle.objects.filter(roles__customer=customer, roles__ended_on__isnull=True).distinct()
        self.fields["vehicle"].queryset = vehicles.order_by("-id")
        only = list(vehicles[:2])
        if len(only) == 1:  # a customer with one car: the problem is most likely about it
            self.fields["vehicle"].initial = only[0].pk


# --- access ---------------------------------------------------------------------------------------
def get_problem_for_user(user, pk: int) -> Problem:
    """The problem with its log and second callbacks, if the user may read it (`may_read`): 404 for
    no such problem, 403 for another department's (or without the right to read problems at all)."""
    require_perm(user, VIEW)
    problem = get_object_or_404(Problem.objects.only("pk", "department"), pk=pk)
    if not services.may_read(user, problem):
        raise PermissionDenied
    return selectors.problem_detail(problems=Problem.objects.all(), pk=problem.pk)


# --- pages ----------------------------------------------------------------------------------------
@require_GET
def problem_inbox(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    user = request.user
    every = services.lists_every_department(user)
    departments = list(Department.values) if every else sorted(services.departments_of(user))
    form = ProblemFilterForm(request.GET or None, departments=departments)
    filters = form.filters()
    now = timezone.now()
    page = Paginator(selectors.problems_list(user=user, filters=filters, now=now), PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    tab_query = query.copy()
    for key in ("tab", "sort"):
        tab_query.pop(key, None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    sort = filters.sort if filters.sort in selectors.SORTS else selectors.DEFAULT_SORT.get(filters.tab, "deadline")
    for problem in page.object_list:
        problem.overdue = problem.status == Problem.Status.OPEN and problem.deadline_at < now
        problem.due_soon = problem.status == Problem.Status.OPEN and not problem.overdue and (
            problem.deadline_at - now < DUE_SOON)
    counts = selectors.tab_counts(user=user, filters=filters, now=now)
    tabs = [("open", _("Waiting for a fix"), counts["open"]),
            ("fixed", _("Waiting for the customer's confirmation"), counts["fixed"]),
            ("closed", _("Closed"), counts["closed"])]
    return render(request, "callbacks/problem_inbox.html", {
        "form": form, "filters": filters, "page": page, "now": now, "query": query.urlencode(),
        "tab_query": tab_query.urlencode(), "sort_query": sort_query.urlencode(), "sort": sort,
        "counts": counts, "tabs": tabs,
        "my_departments": pgettext("list separator", ", ").join(
            str(label) for code, label in Department.choices if code in services.departments_of(user)),
        "sees_every_department": every,
    })


def _callback_url(user, problem: Problem) -> str:
    """The page of the callback a problem was raised in, for a reader who may open it."""
    if problem.callback_id is None or not may_open(user, problem.callback):
        return ""
    try:
        return reverse("callbacks:callback_detail", args=[problem.callback_id])
    except NoReverseMatch:
        return ""


def _detail(request: HttpRequest, problem: Problem, *, fix_form=None, close_form=None, reassign_form=None,
            status: int = 200) -> HttpResponse:
    user = request.user
    can_fix = problem.status == Problem.Status.OPEN and services.can_fix(user, problem)
    can_close = problem.is_open and services.can_close(user)
    can_reassign = problem.status == Problem.Status.OPEN and services.can_reassign(user, problem)
    if can_fix and fix_form is None:
        # A new round starts from the last round's words: the manager corrects rather than retypes.
        fix_form = ProblemFixForm(initial={"cause": problem.cause, "fix": problem.fix})
    now = timezone.now()
    second_callbacks = list(problem.second_callbacks.all())
    for callback in second_callbacks:
        callback.round_number = services.round_of(callback)
    return render(request, "callbacks/problem_detail.html", {
        "problem": problem, "now": now, "callback_url": _callback_url(user, problem),
        "sees_every_department": services.sees_every_department(user),
        "overdue": problem.status == Problem.Status.OPEN and problem.deadline_at < now,
        "steps": list(problem.steps.all()), "second_callbacks": second_callbacks,
        "fix_form": fix_form if can_fix else None,
        "close_form": (close_form or ProblemCloseForm()) if can_close else None,
        "reassign_form": (reassign_form or ProblemReassignForm(problem=problem)) if can_reassign else None,
    }, status=status)


@require_GET
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_problem_for_user(request.user, pk))


@require_POST
def problem_fix(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_user(request.user, pk)
    if not services.can_fix(request.user, problem):
        raise PermissionDenied
    form = ProblemFixForm(request.POST)
    if not form.is_valid():
        return _detail(request, problem, fix_form=form, status=400)
    try:
        services.problem_fix(problem=problem, cause=form.cleaned_data["cause"], fix=form.cleaned_data["fix"],
                             by=request.user)
    except services.ProblemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The fix is recorded. A second callback will ask the customer whether it "
                                    "satisfies them."))
    return redirect("callbacks:problem_detail", pk=problem.pk)


@require_POST
def problem_close(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_user(request.user, pk)
    if not services.can_close(request.user):
        raise PermissionDenied
    form = ProblemCloseForm(request.POST)
    if not form.is_valid():
        return _detail(request, problem, close_form=form, status=400)
    try:
        services.problem_close(problem=problem, reason=form.cleaned_data["reason"], by=request.user)
    except services.ProblemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The problem is closed."))
    return redirect("callbacks:problem_detail", pk=problem.pk)


@require_POST
def problem_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_user(request.user, pk)
    if not services.can_reassign(request.user, problem):
        raise PermissionDenied
    form = ProblemReassignForm(request.POST, problem=problem)
    if not form.is_valid():
        return _detail(request, problem, reassign_form=form, status=400)
    try:
        services.problem_reassign(problem=problem, department=form.cleaned_data["department"],
                                  note=form.cleaned_data["note"], by=request.user)
    except services.ProblemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The problem is moved to %(department)s.")
                         % {"department": Department(form.cleaned_data["department"]).label})
    if services.can_reassign(request.user, Problem.objects.get(pk=problem.pk)):
        return redirect("callbacks:problem_detail", pk=problem.pk)
    return redirect("callbacks:problem_inbox")  # moved out of the manager's own departments


@require_http_methods(["GET", "POST"])
def problem_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    require_perm(request.user, ADD)
    customer = get_customer_for_user(request.user, customer_pk)
    form = ProblemRaiseForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            problem = services.problem_raise(
                customer=customer, category=form.cleaned_data["category"],
                department=form.cleaned_data["department"], vehicle=form.cleaned_data["vehicle"],
                description=form.cleaned_data["description"], by=request.user)
        except services.ProblemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The problem is raised and routed to %(department)s.")
                             % {"department": problem.get_department_display()})
            return redirect("callbacks:problem_detail", pk=problem.pk)
    return render(request, "callbacks/problem_create.html", {"customer": customer, "form": form},
                  status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("problems/", problem_inbox, name="problem_inbox"),
    path("problems/new/<int:customer_pk>/", problem_create, name="problem_create"),
    path("problems/<int:pk>/", problem_detail, name="problem_detail"),
    path("problems/<int:pk>/fix/", problem_fix, name="problem_fix"),
    path("problems/<int:pk>/close/", problem_close, name="problem_close"),
    path("problems/<int:pk>/reassign/", problem_reassign, name="problem_reassign"),
]
