"""The agent's workbench: today's queue with "take the next", and one callback's page — the
customer's context on the left, the script with its answers on the right, the call's outcomes.

Who may record on a callback is the services' rule (services/calls.py: can_record): the agent
holding it, or the supervisor. The pages ask the same function; an agent opening a colleague's
callback gets 403.

The features above the callback centre add their panels to a callback's page (a retention call's
purpose, its booking form, the lapse reasons) through `extras`: the page shows them, and their forms
post to `callback_extra`, which asks the same rule before the panel's action runs.
"""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealer_crm.access import require_perm
from followups.scripts import texts
from followups.scripts.models import ScriptVersion

from .. import extras
from ..models import Callback, CallbackKind, Department, Outcome, Problem
from ..selectors import queue as selectors
from ..services import calls as services
from ..services.problems import ProblemError

WORK = "callbacks.work_callback"
DESCRIPTION_MAX = 2000


def _get_callback_for_user(user, pk: int) -> Callback:
    """The callback, if the user may see it: theirs, nobody's, or any for the supervisor (403 else)."""
    require_perm(user, WORK)
    callback = Callback.objects.filter(pk=pk).only("id", "assigned_to_id", "status").first()
    if callback is None:
        raise Http404
    if not services.may_open(user, callback):
        raise PermissionDenied
    return callback


# --- the queue ------------------------------------------------------------------------------------
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, WORK)
    queue = selectors.callbacks_due(agent=request.user, kind=request.GET.get("kind", ""), page=request.GET.get("page"))
    kinds = [(value, label, queue.by_kind[value]) for value, label in CallbackKind.choices]
    return render(request, "callbacks/workbench.html", {
        "queue": queue, "kinds": kinds, "now": timezone.now(),
        "query": f"kind={queue.kind}" if queue.kind else "",
        "query_items": [("kind", queue.kind)] if queue.kind else [],
    })


@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, WORK)
    callback = services.callback_take_next(agent=request.user)
    if callback is None:
        messages.info(request, _("Nothing is due for you now. Well done!"))
        return redirect("callbacks:workbench")
    return redirect("callbacks:callback_detail", pk=callback.pk)


# --- one callback ---------------------------------------------------------------------------------
def _question_rows(version: ScriptVersion | None, *, values: dict, errors: dict, problems: dict,
                   answered: dict) -> list[dict]:
    """Each question with what the form shows again (the posted value, its error, the problem
    raised from it) or the answer given."""
    if version is None:
        return []
    return [{"question": question, "value": values.get(question.pk, ""), "error": errors.get(question.pk, ""),
             "problem": problems.get(question.pk, {}), "answer": answered.get(question.pk), "scores": range(11)}
            for question in version.questions.all()]


def _may_correct(user, response) -> bool:
    return response is not None and user.has_perm(WORK) and (
        services.supervises(user) or response.answered_by_id == user.pk)


def _render_detail(request: HttpRequest, pk: int, *, version: ScriptVersion | None = None, values=None, errors=None,
                   problems=None, remark: str = "", status: int = 200, correcting: bool = False, reason: str = "",
                   reason_error: str = "", extra_kept: dict | None = None) -> HttpResponse:
    bench = selectors.callback_workbench(pk=pk)
    callback = bench.callback
    shown = version or bench.version
    may_record = services.can_record(request.user, callback)
    now = timezone.now()
    words = texts.values_for(customer=bench.customer, vehicle=callback.vehicle, agent=callback.assigned_to or request.user)
    answered = {}
    if bench.response is not None:
        answered = {answer.question_id: answer for answer in bench.response.answers.all()}
    may_correct = _may_correct(request.user, bench.response)
    correcting = may_correct and (correcting or request.GET.get("correct") == "1")
    if correcting and values is None:  # the form starts from the answers that count
        values = {question_id: str(answer.score) if answer.score is not None else answer.value
                  for question_id, answer in answered.items()}
    return render(request, "callbacks/workbench_detail.html", {
        "bench": bench, "callback": callback, "customer": bench.customer, "version": shown,
        "questions": _question_rows(shown, values=values or {}, errors=errors or {}, problems=problems or {},
                                    answered=answered), "remark": remark, "form_error": bool(errors),
        "may_record": may_record, "editing": may_record or correcting, "may_correct": may_correct,
        "correcting": correcting and not may_record, "reason": reason, "reason_error": reason_error,
        "holds": services.holds(request.user, callback),
        "may_claim": callback.status == Callback.Status.OPEN and callback.due_at <= timezone.now(),
        "categories": Problem.Category.choices, "departments": Department.choices,
        "outcomes": [(Outcome.NO_ANSWER, "1"), (Outcome.BUSY, "2"), (Outcome.WRONG_NUMBER, "3"),
                     (Outcome.REFUSED, "4")],
        "outcome_labels": dict(Outcome.choices),
        "min_call_back": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "opening": texts.fill(shown.opening, words) if shown else "",
        "closing": texts.fill(shown.closing, words) if shown else "",
        "extra_panels": extras.extra_panels(bench=bench, user=request.user, may_record=may_record, now=now,
                                            kept=extra_kept),
        "now": now,
    }, status=status)


@require_GET
def callback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _get_callback_for_user(request.user, pk)
    return _render_detail(request, pk)


@require_POST
def callback_claim(request: HttpRequest, pk: int) -> HttpResponse:
    callback = _get_callback_for_user(request.user, pk)
    try:
        services.callback_claim(callback=callback, agent=request.user)
    except services.CallError as exc:
        messages.error(request, str(exc))
    return redirect("callbacks:callback_detail", pk=pk)


@require_POST
def callback_release(request: HttpRequest, pk: int) -> HttpResponse:
    callback = _get_callback_for_user(request.user, pk)
    services.callback_release(callback=callback, agent=request.user)
    messages.info(request, _("The callback is back in the queue."))
    return redirect("callbacks:workbench")


def _local_datetime(raw: str) -> datetime | None:
    value = parse_datetime((raw or "").strip())
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@require_POST
def callback_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    callback = _get_callback_for_user(request.user, pk)
    if not services.can_record(request.user, callback):
        raise PermissionDenied
    outcome = request.POST.get("outcome", "")
    call_back_at = _local_datetime(request.POST.get("call_back_at", "")) if outcome == Outcome.CALL_BACK else None
    if outcome == Outcome.CALL_BACK and request.POST.get("call_back_at") and call_back_at is None:
        messages.error(request, _("Enter the date and time to call back, e.g. 2026-12-03 15:30."))
        return redirect("callbacks:callback_detail", pk=pk)
    try:
        services.callback_attempt_record(callback=callback, agent=request.user, outcome=outcome,
                                         call_back_at=call_back_at, note=request.POST.get("note", ""))
    except services.CallError as exc:
        messages.error(request, str(exc))
        return redirect("callbacks:callback_detail", pk=pk)
    messages.success(request, _("Recorded: %(outcome)s.") % {"outcome": Outcome(outcome).label})
    return redirect("callbacks:workbench")


def _posted_problems(post, version: ScriptVersion, values: dict) -> tuple[dict, list, dict]:
    """The problems the agent raised from answers: what the form shows again, what to raise, and
    the messages of those that are incomplete."""
    shown, raised, errors = {}, [], {}
    for question in version.questions.all():
        action = post.get(f"p-{question.pk}-action", "")
        row = {"action": action, "category": post.get(f"p-{question.pk}-category", ""),
               "department": post.get(f"p-{question.pk}-department", ""),
               "description": post.get(f"p-{question.pk}-description", "").strip()[:DESCRIPTION_MAX]}
        shown[question.pk] = row
        if action not in ("problem", "complaint"):
            continue
        if not row["description"]:
            row["description"] = f"{question.text}：{values.get(question.pk) or '—'}"
        if action == "problem" and row["category"] not in Problem.Category.values:
            errors[question.pk] = _("Choose the problem's category.")
        elif action == "problem" and row["department"] not in Department.values:
            errors[question.pk] = _("Choose the department responsible.")
        else:
            raised.append(services.ProblemRaised(question_id=question.pk, category=row["category"],
                                                 department=row["department"], description=row["description"],
                                                 as_complaint=action == "complaint"))
    return shown, raised, errors


@require_POST
def callback_complete(request: HttpRequest, pk: int) -> HttpResponse:
    callback = _get_callback_for_user(request.user, pk)
    if not services.can_record(request.user, callback):
        raise PermissionDenied
    try:
        version = selectors.version_shown(version_id=int(request.POST.get("version", "")))
    except (ValueError, ScriptVersion.DoesNotExist):
        messages.error(request, _("This script is not the one for this callback: reload the page."))
        return redirect("callbacks:callback_detail", pk=pk)
    values = {question.pk: request.POST.get(f"q-{question.pk}", "") for question in version.questions.all()}
    remark = request.POST.get("remark", "").strip()[:DESCRIPTION_MAX]
    shown, raised, errors = _posted_problems(request.POST, version, values)
    kept = {"version": version, "values": values, "problems": shown, "remark": remark}
    if errors:
        return _render_detail(request, pk, errors=errors, status=400, **kept)
    try:
        services.callback_complete(callback=callback, agent=request.user, version=version, answers=values,
                                   remark=remark, problems=raised)
    except services.AnswersInvalid as exc:
        return _render_detail(request, pk, errors=exc.by_question, status=400, **kept)
    except (services.CallError, ProblemError) as exc:
        messages.error(request, str(exc))
        return _render_detail(request, pk, errors={}, status=400, **kept)
    messages.success(request, _("Callback completed. Thank you!"))
    return redirect("callbacks:workbench")


@require_POST
def callback_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """A correction of the answers that count: a new response with the reason; the old one stays."""
    _get_callback_for_user(request.user, pk)
    response = selectors.callback_workbench(pk=pk).response
    if not _may_correct(request.user, response):
        raise PermissionDenied
    version = selectors.version_shown(version_id=response.version_id)
    values = {question.pk: request.POST.get(f"q-{question.pk}", "") for question in version.questions.all()}
    reason = request.POST.get("reason", "").strip()[:200]
    kept = {"values": values, "correcting": True, "reason": reason}
    try:
        services.response_correct(response=response, answers=values, reason=reason, by=request.user)
    except services.AnswersInvalid as exc:
        return _render_detail(request, pk, errors=exc.by_question, status=400, **kept)
    except services.CallError as exc:
        return _render_detail(request, pk, errors={}, reason_error=str(exc), status=400, **kept)
    messages.success(request, _("The answers are corrected; the earlier ones stay on record."))
    return redirect("callbacks:callback_detail", pk=pk)


@require_POST
def callback_extra(request: HttpRequest, pk: int, name: str, action: str) -> HttpResponse:
    """A form of a feature's panel (a booking, a lapse reason): the action runs for whoever may
    record on the callback; a refusal shows the page again with the form as it was posted."""
    _get_callback_for_user(request.user, pk)
    callback = Callback.objects.select_related("customer", "vehicle", "assigned_to").get(pk=pk)
    act = extras.extra_action(name, action, kind=callback.kind)
    if act is None:
        raise Http404
    if not services.can_record(request.user, callback):
        raise PermissionDenied
    try:
        done = act(callback=callback, user=request.user, data=request.POST, now=timezone.now())
    except extras.ExtraRefused as exc:
        return _render_detail(request, pk, status=400, extra_kept={name: {**exc.kept, "error": str(exc)}})
    messages.success(request, done)
    # An action may close the call (a sold car cancels the vehicle's retention calls): back to the queue.
    if not Callback.objects.filter(pk=pk, status__in=[Callback.Status.OPEN, Callback.Status.IN_PROGRESS]).exists():
        return redirect("callbacks:workbench")
    return redirect(reverse("callbacks:callback_detail", args=[pk]) + f"#extra-{name}")


urlpatterns = [
    path("", workbench, name="workbench"),
    path("next/", take_next, name="take_next"),
    path("<int:pk>/", callback_detail, name="callback_detail"),
    path("<int:pk>/claim/", callback_claim, name="callback_claim"),
    path("<int:pk>/release/", callback_release, name="callback_release"),
    path("<int:pk>/attempt/", callback_attempt, name="callback_attempt"),
    path("<int:pk>/complete/", callback_complete, name="callback_complete"),
    path("<int:pk>/correct/", callback_correct, name="callback_correct"),
    path("<int:pk>/extra/<str:name>/<str:action>/", callback_extra, name="callback_extra"),
]
