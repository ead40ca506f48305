"""Complaints (投诉) and the manufacturer's dissatisfaction items (厂家不满意事项).

A complaint is handled until the customer confirms they are satisfied and closes with a case
analysis (案例分析) whose improvement plans are tracked to done. Its moves are in
`services.TRANSITIONS`, each one a `ComplaintStep`; its deadlines are absolute times, computed on the
severity's clock (working or calendar hours, `clock.StoreClock`) and moved on when the clock resumes
after a pause. What must never be wrong is enforced here: one complaint per escalated answer, per
escalated problem and per manufacturer item; one escalation per complaint, deadline, level and
round, so a second job run or a second worker notifies nobody twice.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, Vehicle
from followups.callbacks.models import Answer, Callback, Department, Problem


class Severity(models.Model):
    """How serious a complaint is, and so how soon it must be answered (the supervisor sets them)."""

    class Clock(models.TextChoices):
        WORKING = "working", _("Working hours of the store")
        CALENDAR = "calendar", _("Calendar hours")

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=30)
    rank = models.PositiveSmallIntegerField(_("rank"), default=1,
                                            help_text=_("Higher is more serious; the list sorts by it."))
    first_contact_hours = models.DecimalField(
        _("first contact within (hours)"), max_digits=5, decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(720)])
    solve_hours = models.DecimalField(_("solved within (hours)"), max_digits=5, decimal_places=1,
                                      validators=[MinValueValidator(0), MaxValueValidator(2160)])
    clock = models.CharField(_("clock"), max_length=8, choices=Clock.choices, default=Clock.WORKING)
    # The supervisor is told when this share of a deadline's time is left.
    warn_percent = models.PositiveSmallIntegerField(
        _("warn when this percentage of the time is left"), default=25, validators=[MinValueValidator(0), MaxValueValidator(90)])
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("complaint severity")
        verbose_name_plural = _("complaint severities")
        ordering = ["-rank", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(solve_hours__gte=models.F("first_contact_hours")),
                                   name="severity_solve_after_contact"),
        ]

    def __str__(self) -> str:
        return self.name


class StoreDay(models.Model):
    """A day the store's calendar says otherwise than China's official one (a closed Monday, an
    open Sunday), or a day of a year chinese-calendar does not know yet: the supervisor enters the
    State Council's holidays and make-up working days (调休) when they are published."""

    day = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("store calendar day")
        verbose_name_plural = _("store calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'+' if self.is_workday else '-'}"


class Complaint(models.Model):
    class Channel(models.TextChoices):
        CALLBACK = "callback", _("Callback")
        PHONE = "phone", _("Phone call")
        WALK_IN = "walk_in", _("Walk-in")
        LETTER = "letter", _("Letter")
        ONLINE = "online", _("Online")
        HOTLINE = "hotline", _("Manufacturer's hotline")
        MANUFACTURER = "manufacturer", _("Manufacturer's dissatisfaction item")

    class Category(models.TextChoices):
        SERVICE = "service", pgettext_lazy("complaint category", "Service quality")
        REPAIR = "repair", _("Repair quality")
        PRICE = "price", _("Price")
        PARTS = "parts", pgettext_lazy("complaint category", "Parts")
        SALES_PROMISE = "promise", _("Sales promise")
        ATTITUDE = "attitude", _("Attitude")
        WAITING = "waiting", _("Waiting time")
        OTHER = "other", pgettext_lazy("complaint category", "Other")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        CONTACTED = "contacted", _("First contact made")
        INVESTIGATING = "investigating", _("Investigating")
        VISITED = "visited", _("Home visit made")
        AGREED = "agreed", _("Solution agreed")
        SOLVED = "solved", _("Solved")
        FOLLOWED_UP = "followed_up", _("Followed up")
        SATISFIED = "satisfied", _("Customer satisfied")
        CLOSED = "closed", pgettext_lazy("complaint status", "Closed")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="complaints")
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    severity = models.ForeignKey(Severity, verbose_name=_("severity"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("what the customer complains of"))
    department = models.CharField(_("department concerned"), max_length=8, choices=Department.choices)
    person_concerned = models.CharField(_("person concerned"), max_length=50, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="complaints_owned")
    status = models.CharField(_("status"), max_length=13, choices=Status.choices, default=Status.REGISTERED)
    # Where it came from, when it came from the callback centre.
    callback = models.ForeignKey(Callback, verbose_name=_("raised in callback"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="complaints")
    answer = models.ForeignKey(Answer, verbose_name=_("raised from answer"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    problem = models.ForeignKey(Problem, verbose_name=_("escalated problem"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="complaints")
    registered_at = models.DateTimeField(_("registered at"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True,
                                      on_delete=models.SET_NULL, related_name="+")
    # The clock: deadlines as moments (so "overdue" is an indexed comparison), moved on by a resume.
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    contact_due_at = models.DateTimeField(_("first contact due"))
    solve_due_at = models.DateTimeField(_("solution due"))
    follow_up_due_at = models.DateTimeField(_("follow-up due"), null=True, blank=True)
    paused_at = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    satisfied_at = models.DateTimeField(_("satisfied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # What was agreed (the latest round's): the solution, what it cost the store, the apology made.
    solution = models.TextField(_("solution"), blank=True)
    cost = models.DecimalField(_("cost to the store (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True,
                               validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-registered_at", "-id"]
        permissions = [
            ("handle_complaint", _("Can act on the complaints one handles")),
            ("supervise_complaint", _("Can assign, reclassify and act on every complaint")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["answer"], condition=Q(answer__isnull=False),
                                    name="complaint_one_per_answer"),
            models.UniqueConstraint(fields=["problem"], condition=Q(problem__isnull=False),
                                    name="complaint_one_per_problem"),
            models.CheckConstraint(condition=Q(solve_due_at__gte=models.F("contact_due_at")),
                                   name="complaint_solve_after_contact"),
        ]
        indexes = [
            # The open complaints (the list, the escalations, the marketing hold), by deadline.
            models.Index(fields=["status", "solve_due_at"], name="complaint_open_idx",
                         condition=~Q(status="closed")),
            models.Index(fields=["customer", "-registered_at"], name="complaint_customer_idx"),
            models.Index(fields=["owner", "status"], name="complaint_owner_idx"),
            models.Index(fields=["department", "status"], name="complaint_department_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_category_display()}"

    @property
    def number(self) -> str:
        return f"TS{self.pk:06d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class ComplaintStep(models.Model):
    """One move of a complaint: who, when, from which state to which, and what was said or done."""

    class Action(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        ASSIGNED = "assigned", _("Assigned")
        RECLASSIFIED = "reclassified", _("Severity changed")
        CONTACTED = "contacted", _("First contact")
        INVESTIGATING = "investigating", _("Investigation started")
        VISITED = "visited", _("Home visit")
        AGREED = "agreed", _("Solution agreed")
        SOLVED = "solved", _("Solved")
        FOLLOWED_UP = "followed_up", _("Follow-up")
        SATISFIED = "satisfied", _("Customer confirmed satisfied")
        CLOSED = "closed", pgettext_lazy("complaint step", "Closed")
        REOPENED = "reopened", _("Reopened: customer not satisfied")
        PAUSED = "paused", _("Clock paused: waiting for the customer")
        RESUMED = "resumed", _("Clock resumed")
        NOTE = "note", _("Note")

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=13, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=13, choices=Complaint.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=13, choices=Complaint.Status.choices, blank=True)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL,
                           related_name="+")
    note = models.TextField(_("what was said or done"), blank=True)
    cost = models.DecimalField(_("cost (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    # Anything else the step names (the owner assigned, the old and new severity), as codes and ids.
    params = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="complaint_step_idx")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action}"


class CaseAnalysis(models.Model):
    """What the store learnt from one complaint (案例分析): why it happened and what changes."""

    class RootCause(models.TextChoices):
        PROCESS = "process", _("Process")
        SKILL = "skill", _("Skills and training")
        ATTITUDE = "attitude", _("Staff attitude")
        COMMUNICATION = "communication", _("Communication")
        PRODUCT = "product", _("Product quality")
        PARTS = "parts", _("Parts supply")
        POLICY = "policy", _("Price or policy")
        CUSTOMER = "customer", _("Customer's expectation")
        OTHER = "other", pgettext_lazy("root cause", "Other")

    complaint = models.OneToOneField(Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE,
                                     related_name="analysis")
    root_cause = models.CharField(_("root cause"), max_length=13, choices=RootCause.choices)
    root_cause_text = models.TextField(_("what went wrong"))
    lesson = models.TextField(_("lesson for the store"), blank=True)
    shared = models.BooleanField(_("shared with the departments"), default=False)
    written_at = models.DateTimeField(_("written at"))
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("case analysis")
        verbose_name_plural = _("case analyses")
        ordering = ["-written_at"]

    def __str__(self) -> str:
        return f"{self.complaint} · {self.get_root_cause_display()}"


class ImprovementPlan(models.Model):
    """One change the case analysis commits the store to, with who does it and by when."""

    analysis = models.ForeignKey(CaseAnalysis, verbose_name=_("case analysis"), on_delete=models.CASCADE,
                                 related_name="plans")
    action = models.TextField(_("improvement"))
    department = models.CharField(_("department"), max_length=8, choices=Department.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="improvement_plans")
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    done_note = models.TextField(_("what was done"), blank=True)

    class Meta:
        verbose_name = _("improvement plan")
        verbose_name_plural = _("improvement plans")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on"], name="plan_open_idx", condition=Q(done_at__isnull=True))]

    def __str__(self) -> str:
        return self.action[:40]


class Escalation(models.Model):
    """A deadline near or past, told to the next person up: the DCRC supervisor when it nears, the
    department's manager once it passes, the general manager when it is past by as long again.
    One row per complaint, deadline, level and round (the unique constraint is the idempotency)."""

    class Deadline(models.TextChoices):
        CONTACT = "contact", _("First contact")
        SOLVE = "solve", _("Solution")
        FOLLOW_UP = "follow_up", _("Follow-up")

    class Level(models.TextChoices):
        NEAR = "near", _("Deadline near: DCRC supervisor")
        PASSED = "passed", _("Deadline passed: department manager")
        LATE = "late", _("Long overdue: general manager")

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE,
                                  related_name="escalations")
    deadline = models.CharField(_("deadline"), max_length=9, choices=Deadline.choices)
    level = models.CharField(_("level"), max_length=6, choices=Level.choices)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    role = models.CharField(_("told to"), max_length=20)
    due_at = models.DateTimeField(_("the deadline"))
    created_at = models.DateTimeField(_("escalated at"))
    # An SMS is never sent at night: out of hours it waits for the store's next opening.
    notify_at = models.DateTimeField(_("notify at"))
    notified_at = models.DateTimeField(_("SMS sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint escalation")
        verbose_name_plural = _("complaint escalations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "deadline", "level", "round"], name="escalation_once"),
        ]
        indexes = [
            models.Index(fields=["notify_at"], name="escalation_unsent_idx", condition=Q(notified_at__isnull=True)),
            models.Index(fields=["role", "-created_at"], name="escalation_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.deadline} {self.level}"


class ManufacturerItem(models.Model):
    """A dissatisfaction item the manufacturer sends the store (厂家不满意事项), as it came, with the
    complaint it is worked through and what was reported back."""

    reference = models.CharField(_("manufacturer's number"), max_length=40, unique=True)
    received_on = models.DateField(_("received on"))
    reply_due_on = models.DateField(_("reply due on"), null=True, blank=True)
    customer_name = models.CharField(_("customer's name"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    plate = models.CharField(_("plate"), max_length=12, blank=True)
    item_type = models.CharField(_("item type"), max_length=60, blank=True)
    description = models.TextField(_("what the customer was dissatisfied with"))
    complaint = models.OneToOneField(Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT,
                                     related_name="manufacturer_item")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(_("entered at"))
    reported_at = models.DateTimeField(_("reported back at"), null=True, blank=True)

    class Meta:
        verbose_name = _("manufacturer's dissatisfaction item")
        verbose_name_plural = _("manufacturer's dissatisfaction items")
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return self.reference
