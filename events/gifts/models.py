"""Gifts (礼品): the catalogue the customer chooses from (礼品栏), the budget of each period, and each
request from its asking to its approval by the general manager and its sending.

Never wrong, whatever two approvers do at the same moment: a period's approved total never passes its
budget, a gift's stock never goes below zero (check constraints, and the approval takes both by a
conditional update under the request's row lock), and nobody approves their own request."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, FamilyMember


class Gift(models.Model):
    name = models.CharField(_("gift"), max_length=100, unique=True,
                            error_messages={"unique": _("A gift with this name exists.")})
    unit_cost = models.DecimalField(_("unit cost"), max_digits=10, decimal_places=2)
    stock = models.PositiveIntegerField(_("in stock"), default=0)
    # On the gift menu (礼品栏) customers choose from in an interview; off it, staff still request it.
    on_menu = models.BooleanField(_("on the gift menu"), default=True)
    # For a child's birthday (the one the birthday list proposes to post).
    for_children = models.BooleanField(_("for children"), default=False)
    active = models.BooleanField(_("in use"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="gift_cost_not_negative"),
            models.CheckConstraint(condition=~Q(name=""), name="gift_name_required"),
        ]

    def __str__(self) -> str:
        return self.name


class GiftBudget(models.Model):
    """The money gifts may cost in one period (a month, a quarter, a year), set by the general manager.
    `committed` is the sum of the approved requests charged to it (sent ones included)."""

    name = models.CharField(_("period"), max_length=50)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    amount = models.DecimalField(_("budget"), max_digits=12, decimal_places=2)
    committed = models.DecimalField(_("approved so far"), max_digits=12, decimal_places=2, default=0)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True,
                               on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(_("set"), auto_now_add=True)

    class Meta:
        verbose_name = _("gift budget")
        verbose_name_plural = _("gift budgets")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="gift_budget_period_order"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="gift_budget_not_negative"),
            # The budget is never exceeded: the last line of defence under the approval's conditional update.
            models.CheckConstraint(condition=Q(committed__gte=0) & Q(committed__lte=F("amount")),
                                   name="gift_budget_never_exceeded"),
            models.UniqueConstraint(fields=["starts_on"], name="gift_budget_one_per_start"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def remaining(self):
        return self.amount - self.committed


class GiftRequest(models.Model):
    class Reason(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday")
        CHILD_BIRTHDAY = "child_birthday", _("Child's birthday")
        INTERVIEW = "interview", _("Interview gift choice")
        EVENT = "event", _("Event")
        COMPLAINT = "complaint", _("Complaint goodwill")
        MEMBER = "member", _("Member benefit")
        OTHER = "other", pgettext_lazy("gift reason", "Other")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Awaiting approval")  # 待审批
        APPROVED = "approved", _("Approved")  # 已批准，待寄出
        REJECTED = "rejected", _("Rejected")  # 已驳回
        SENT = "sent", pgettext_lazy("gift request status", "Sent")  # 已寄出 (not the SMS platform's 已发送)
        CANCELLED = "cancelled", _("Cancelled")

    class Delivery(models.TextChoices):
        POST = "post", _("By courier")
        IN_STORE = "in_store", _("Handed over in the store")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="gift_requests")
    # A child's birthday gift: which child (the family member); the customer is the parent on file.
    family_member = models.ForeignKey(FamilyMember, verbose_name=_("family member"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="gift_requests")
    gift = models.ForeignKey(Gift, verbose_name=_("gift"), on_delete=models.PROTECT, related_name="requests")
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    # The cost when requested (the catalogue's price may change before it is approved).
    unit_cost = models.DecimalField(_("unit cost"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    event = models.ForeignKey("events.Event", verbose_name=_("event"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="gift_requests")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     on_delete=models.SET_NULL, related_name="gift_requests")
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=500, blank=True)
    budget = models.ForeignKey(GiftBudget, verbose_name=_("budget"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="requests")
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.POST)
    address = models.CharField(_("address"), max_length=200, blank=True)
    courier = models.CharField(_("courier"), max_length=30, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cancelled by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    cancel_reason = models.CharField(_("why cancelled"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("gift request")
        verbose_name_plural = _("gift requests")
        ordering = ["-requested_at", "-id"]
        permissions = [
            ("approve_giftrequest", _("Can approve or reject gift requests")),
            ("send_giftrequest", _("Can mark approved gifts sent")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="gift_request_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="gift_request_cost_not_negative"),
            # Nobody approves their own request.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | Q(requested_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="gift_request_not_self_decided"),
            # An approved or sent request is charged to a budget.
            models.CheckConstraint(condition=~Q(status__in=["approved", "sent"]) | Q(budget__isnull=False),
                                   name="gift_request_approved_has_budget"),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"], name="gift_request_status_idx"),
            # The customer's year so far (the cap), summed under their row lock at each approval.
            models.Index(fields=["customer", "decided_at"], name="gift_request_customer_year_idx"),
            models.Index(fields=["customer", "requested_at"], name="gift_request_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.gift}"

    @property
    def number(self) -> str:
        """LP000012: how staff quote a gift request (礼品 LP)."""
        return f"LP{self.pk or 0:06d}"

    @property
    def total(self):
        return self.unit_cost * self.quantity
