"""The callback centre's records: the rules that build the daily queues, the callbacks, each call
attempt and its outcome, the answers to the script, and the problems (反馈问题) customers raise.

What must never be wrong is enforced here, in the database:
- a source record (a delivery's wave, a repair order, a problem's round, a customer's request) gives
  at most one callback of a kind per customer and vehicle — a second build of the same day, or two
  builds at once, insert nothing (`callback_one_per_source`);
- answers are rows that are only ever added: a correction is a new response that names the one it
  corrects (`ScriptResponse.corrects`);
- the queue is claimed row by row with `SELECT … FOR UPDATE SKIP LOCKED` (services), so one callback
  goes to one agent.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, ServiceVisit, Vehicle
from followups.scripts.models import Question, ScriptKind, ScriptVersion


class CallbackKind(models.TextChoices):
    THANK_YOU = "thank_you", _("Thank-you call")
    SSI = "ssi", _("SSI callback")
    CSI = "csi", _("CSI callback")
    SECOND = "second", _("Second callback")
    REQUESTED = "requested", _("Requested callback")
    # Retention's calls (followups.retention and followups.appointments make them, not the build).
    SOLICIT = "solicit", _("First-maintenance call")  # 首保招揽 / 追踪
    REMINDER = "reminder", _("Maintenance reminder call")  # 保养提醒
    WIN_BACK = "win_back", _("Win-back call")  # 流失挽回
    NO_SHOW = "no_show", _("No-show follow-up")  # 预约未到
    # Customer care's calls (events and events.birthdays make them, not the build).
    BIRTHDAY = "birthday", _("Birthday call")  # 生日关怀
    INVITATION = "invitation", _("Event invitation call")  # 活动邀约

    @property
    def script_kind(self) -> str:
        return {"requested": ScriptKind.CUSTOM, "solicit": ScriptKind.FIRST_MAINTENANCE,
                "no_show": ScriptKind.REMINDER}.get(self.value, self.value)


class CallbackRule(models.Model):
    """When a kind of callback is due, how long it stays open, and how hard the agents try.

    The supervisor edits these; a change applies from the next build (a callback already in the
    queue keeps the dates it was built with). CSI rules are per visit type; the others have none.
    `due_days` lists the waves counted from the source date: SSI defaults to [3, 7] (the
    salesperson's call by day 3, the department's by day 7), each its own callback. Every wave is
    due on its own day and stays open until `expires_after_days` after the source date, the same
    for all waves: SSI defaults to 14, so the day-3 and the day-7 callbacks both close on day 14.
    """

    class NoCalls(models.TextChoices):
        SMS = "sms", _("Send an SMS instead")
        SKIP = "skip", _("Skip, recording why")

    kind = models.CharField(_("kind"), max_length=10, choices=CallbackKind.choices)
    visit_kind = models.CharField(_("visit type"), max_length=10, blank=True, choices=ServiceVisit.Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    due_days = models.JSONField(_("due on days"), default=list,
                                help_text=_("Days after the delivery or the repair order's close, e.g. 3, 7."))
    expires_after_days = models.PositiveSmallIntegerField(
        _("expires on day"), validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Counted like the due days; an open callback closes as expired after this day."))
    priority = models.SmallIntegerField(_("priority"), default=0,
                                        help_text=_("Higher comes first in the queue."))
    max_attempts = models.PositiveSmallIntegerField(_("attempts"), default=3,
                                                    validators=[MinValueValidator(1), MaxValueValidator(10)])
    attempt_days = models.PositiveSmallIntegerField(_("over days"), default=3,
                                                    validators=[MinValueValidator(1), MaxValueValidator(30)])
    no_calls = models.CharField(_("customers who take no calls"), max_length=4, choices=NoCalls.choices,
                                default=NoCalls.SMS)
    sms_template = models.ForeignKey(
        "messaging.SmsTemplate", verbose_name=_("SMS instead of calling"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Sent instead of calling to customers who take no calls."))
    unreachable_sms_template = models.ForeignKey(
        "messaging.SmsTemplate", verbose_name=_("SMS after the last failed call"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Sent when the last attempt fails and the customer goes to the lost-contact list; "
                    "empty: no SMS."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("callback rule")
        verbose_name_plural = _("callback rules")
        ordering = ["kind", "visit_kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "visit_kind"], name="callback_rule_unique"),
        ]

    def __str__(self) -> str:
        if self.visit_kind:
            return f"{self.get_kind_display()} · {self.get_visit_kind_display()}"
        return str(self.get_kind_display())


# The failed calls: the only outcomes whose customer reappears after a delay of the outcome rule.
DELAYED_OUTCOMES = ("no_answer", "busy")


class OutcomeRule(models.Model):
    """What an attempt's outcome does (the recycle codes): when the customer reappears in the queue,
    or that it ends the callback. Only the failed calls (no answer, busy) have a delay, and they
    must have one; wrong number, refused and completed always end the callback and "call back at…"
    takes the time the customer asked for: those have none (the database keeps both)."""

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        REFUSED = "refused", _("Refused")
        CALL_BACK = "call_back", _("Call back at…")

    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, unique=True)
    retry_after_minutes = models.PositiveIntegerField(
        _("reappears after (minutes)"), null=True, blank=True,
        help_text=_("No answer and busy only: when the customer is called again."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("outcome rule")
        verbose_name_plural = _("outcome rules")
        ordering = ["outcome"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(outcome__in=DELAYED_OUTCOMES, retry_after_minutes__isnull=False)
                           | (~models.Q(outcome__in=DELAYED_OUTCOMES) & models.Q(retry_after_minutes__isnull=True))),
                name="outcome_rule_delay_only_failed"),
        ]

    def __str__(self) -> str:
        return str(self.get_outcome_display())

    @property
    def takes_delay(self) -> bool:
        """No answer and busy reappear after a delay; the other outcomes have none."""
        return self.outcome in DELAYED_OUTCOMES


Outcome = OutcomeRule.Outcome


class Callback(models.Model):
    """One call the department owes a customer: why (its kind and source), when, who has it, how it
    ended. Attempts are counted when they are made, not when the callback is queued."""

    class Status(models.TextChoices):
        OPEN = "open", _("In the queue")
        IN_PROGRESS = "in_progress", _("Being called")
        COMPLETED = "completed", pgettext_lazy("callback", "Completed")
        SMS_SENT = "sms_sent", _("Sent an SMS instead")
        SKIPPED = "skipped", _("Skipped")
        REFUSED = "refused", _("Customer refused")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        LOST_CONTACT = "lost_contact", _("Lost contact")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="callbacks")
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), null=True, blank=True, on_delete=models.CASCADE,
                                related_name="callbacks")
    kind = models.CharField(_("kind"), max_length=10, choices=CallbackKind.choices)
    # What the callback is about, as a stable key: "delivery:<vehicle>:d3", "visit:<visit>:d3" (the
    # wave's day), "problem:<problem>:<round>", "request:<agent>:<minute>" (services.building). With the customer, vehicle and kind it is
    # unique: the builds insert with ON CONFLICT DO NOTHING.
    source_key = models.CharField(_("source"), max_length=60)
    visit = models.ForeignKey(ServiceVisit, verbose_name=_("service visit"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="callbacks")
    problem = models.ForeignKey("Problem", verbose_name=_("problem"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="second_callbacks")
    rule = models.ForeignKey(CallbackRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    priority = models.SmallIntegerField(_("priority"), default=0)
    due_at = models.DateTimeField(_("due"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    # The agent it is given to (by "take the next" or the supervisor); empty: anyone's.
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="callbacks")
    claimed_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_outcome = models.CharField(_("last outcome"), max_length=12, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    # Why it closed without being completed, as a code the page words in the reader's language.
    close_reason = models.CharField(_("reason"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_on = models.DateField(_("queued on"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["due_at", "id"]
        permissions = [
            ("work_callback", _("Can call customers from the callback queue")),
            ("supervise_callback", _("Can supervise the callback queue")),
        ]
        constraints = [
            models.UniqueConstraint(F("customer"), Coalesce(F("vehicle"), Value(0)), F("kind"), F("source_key"),
                                    name="callback_one_per_source",
                                    violation_error_message=_("This callback is queued already.")),
            models.CheckConstraint(condition=Q(expires_at__isnull=True) | Q(expires_at__gte=F("due_at")),
                                   name="callback_expires_after_due"),
        ]
        indexes = [
            # The queue: open callbacks by due time and priority (take the next, the agent's list).
            models.Index(fields=["due_at", "-priority", "id"], condition=Q(status="open"), name="callback_queue_idx"),
            # Take the next: the unassigned open callbacks in the order they are given (priority, due,
            # id), read until the first due row nobody holds; the stale claims the lease frees.
            models.Index(F("priority").desc(), F("due_at"), F("id"),
                         condition=Q(status="open", assigned_to__isnull=True), name="callback_take_next_idx"),
            models.Index(fields=["claimed_at"], condition=Q(status="in_progress"), name="callback_claimed_idx"),
            models.Index(fields=["assigned_to", "status", "due_at"], name="callback_agent_idx"),
            models.Index(fields=["customer", "-due_at"], name="callback_customer_idx"),
            models.Index(fields=["status", "closed_at"], name="callback_closed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class CallAttempt(models.Model):
    """One call made: who, when, what came of it. The attempt policy counts these."""

    callback = models.ForeignKey(Callback, verbose_name=_("callback"), on_delete=models.CASCADE,
                                 related_name="call_attempts")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True,
                              on_delete=models.SET_NULL, related_name="+")
    made_at = models.DateTimeField(_("called at"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    call_back_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        ordering = ["callback", "made_at", "id"]
        indexes = [
            models.Index(fields=["agent", "made_at"], name="attempt_agent_idx"),
            # The supervisor's figures of a day: every call made that day, whoever made it.
            models.Index(fields=["made_at"], name="attempt_made_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.made_at:%Y-%m-%d %H:%M} {self.get_outcome_display()}"


class ScriptResponse(models.Model):
    """The answers given on one completed call, with the script version they were asked with.

    Never edited: a correction is a new response naming the one it corrects, and the newest one
    counts (the one no other response corrects)."""

    callback = models.ForeignKey(Callback, verbose_name=_("callback"), on_delete=models.CASCADE,
                                 related_name="responses")
    version = models.ForeignKey(ScriptVersion, verbose_name=_("script version"), on_delete=models.PROTECT,
                                related_name="responses")
    attempt = models.ForeignKey(CallAttempt, verbose_name=_("call"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("answered at"))
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    corrects = models.OneToOneField("self", verbose_name=_("corrects"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="corrected_by")
    correction_reason = models.CharField(_("why corrected"), max_length=200, blank=True)
    # The mean of the score answers (0–10), and whether any answer counted as dissatisfied.
    average_score = models.DecimalField(_("average score"), max_digits=4, decimal_places=2, null=True, blank=True)
    dissatisfied = models.BooleanField(_("dissatisfied"), default=False)
    remark = models.TextField(_("remark"), blank=True)

    class Meta:
        verbose_name = _("script response")
        verbose_name_plural = _("script responses")
        ordering = ["callback", "answered_at", "id"]
        indexes = [models.Index(fields=["answered_at"], name="response_answered_idx")]

    def __str__(self) -> str:
        return f"{self.callback} {self.answered_at:%Y-%m-%d}"


class Answer(models.Model):
    """One question's answer within a response."""

    response = models.ForeignKey(ScriptResponse, verbose_name=_("response"), on_delete=models.CASCADE,
                                 related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True, validators=[MaxValueValidator(10)])
    value = models.TextField(_("answer"), blank=True)
    dissatisfied = models.BooleanField(_("dissatisfied"), default=False)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["response", "question__position"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_one_per_question"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=10), name="answer_score_0_10"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.score if self.score is not None else self.value}"


class Department(models.TextChoices):
    SALES = "sales", _("Sales")
    SERVICE = "service", _("After-sales service")
    PARTS = "parts", _("Parts")
    FINANCE = "finance", _("Finance")
    OTHER = "other", pgettext_lazy("department", "Other")


class Problem(models.Model):
    """A problem a customer raised (反馈问题), routed to a department's manager until the customer is
    satisfied: open → fixed (cause and fix recorded) → a second callback asks the customer → satisfied
    closes it, dissatisfied opens the next round. The supervisor may close it with a reason."""

    class Category(models.TextChoices):
        PRODUCT = "product", _("Vehicle quality")
        REPAIR = "repair", _("Repair quality")
        STAFF = "staff", _("Staff attitude")
        WAITING = "waiting", _("Waiting time")
        PRICE = "price", _("Price and charges")
        PAPERWORK = "paperwork", _("Paperwork and delivery")
        FACILITY = "facility", _("Facility")
        PARTS = "parts", _("Parts availability")
        OTHER = "other", pgettext_lazy("problem category", "Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the department")
        FIXED = "fixed", _("Fixed, to confirm with the customer")
        SATISFIED = "satisfied", _("Customer satisfied")
        CLOSED = "closed", _("Closed by the supervisor")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="problems")
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    callback = models.ForeignKey(Callback, verbose_name=_("raised in callback"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="problems")
    answer = models.ForeignKey(Answer, verbose_name=_("raised from answer"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    department = models.CharField(_("department"), max_length=8, choices=Department.choices)
    description = models.TextField(_("what the customer said"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # Until the complaints app exists, a low score escalated by the agent is a problem flagged here.
    is_complaint = models.BooleanField(_("escalated as a complaint"), default=False)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    deadline_at = models.DateTimeField(_("deadline"))
    raised_at = models.DateTimeField(_("raised at"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("raised by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    cause = models.TextField(_("cause"), blank=True)
    fix = models.TextField(_("what was done"), blank=True)
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    fixed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("fixed by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    close_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["deadline_at", "id"]
        permissions = [
            ("fix_problem", _("Can record the fix of a problem routed to the department")),
            ("close_problem", _("Can close a problem without the customer's satisfaction")),
        ]
        indexes = [
            models.Index(fields=["department", "status", "deadline_at"], name="problem_inbox_idx"),
            models.Index(fields=["customer", "-raised_at"], name="problem_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.FIXED)


class ProblemStep(models.Model):
    """One step in a problem's life, with who and when: the problem's own log (the timeline has
    the customer's view of the same steps)."""

    class Action(models.TextChoices):
        RAISED = "raised", _("Raised")
        FIXED = "fixed", _("Fix recorded")
        CONFIRMED = "confirmed", _("Customer satisfied")
        REOPENED = "reopened", _("Customer not satisfied, next round")
        CLOSED = "closed", _("Closed by the supervisor")
        ESCALATED = "escalated", _("Escalated as a complaint")
        REASSIGNED = "reassigned", _("Moved to another department")

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL,
                           related_name="+")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("problem step")
        verbose_name_plural = _("problem steps")
        ordering = ["problem", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"
