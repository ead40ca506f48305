"""In-store events (店内活动) run with marketing: the event with its budget, the target group it invites,
each invitation with the customer's answer (RSVP) and who came through the door, and the preparation
checklist."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer


class Event(models.Model):
    class Kind(models.TextChoices):
        LAUNCH = "launch", _("New model launch")  # 新车发布会
        OWNERS_DAY = "owners_day", _("Owners' day")  # 车主日
        SELF_DRIVE = "self_drive", _("Self-drive trip")  # 自驾游
        CLASS = "class", _("Car care class")  # 用车讲堂
        CARE = "care", _("Service care day")  # 服务关爱日 (free checks)
        OTHER = "other", pgettext_lazy("event kind", "Other")

    class Status(models.TextChoices):
        PLANNING = "planning", _("Planning")  # 筹备中
        INVITING = "inviting", _("Inviting")  # 邀约中
        HELD = "held", _("Held")  # 已举办
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    budget = models.DecimalField(_("budget"), max_digits=10, decimal_places=2, default=0)
    # How many guests the venue takes (people, party sizes included); empty: no limit.
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    # Members' self-drive trips and the like: only members are invited.
    members_only = models.BooleanField(_("members only"), default=False)
    # The target group: the archive filters it was built from (`events.audience`), kept so the group can
    # be counted again and the invitations explained.
    audience = models.JSONField(_("target group"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNING)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("organiser"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="organised_events")
    # Outcomes, recorded after the event.
    orders_signed = models.PositiveIntegerField(_("orders signed"), default=0)
    feedback = models.TextField(_("feedback"), blank=True)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    outcome_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("outcome recorded by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    # Why and when it was called off (the guests who had answered are told by the organiser).
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cancelled by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_at", "-id"]
        permissions = [
            ("invite_event", _("Can invite customers to an event")),
            ("checkin_event", _("Can check guests in at the door")),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="event_title_required"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="event_budget_not_negative"),
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                                   name="event_ends_after_start"),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="event_status_idx")]

    def __str__(self) -> str:
        return self.title


class Invitation(models.Model):
    """One guest of an event: an invited customer with their answer, or a walk-in added at the door
    (an archive customer, or a prospect handed to sales as a lead)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        CALL = "call", _("Phone call")
        WALK_IN = "walk_in", _("Walk-in")  # 现场到场，未受邀
        OTHER = "other", pgettext_lazy("invitation channel", "Other")

    class Rsvp(models.TextChoices):
        PENDING = "pending", _("No answer yet")
        YES = "yes", _("Coming")
        NO = "no", _("Not coming")
        MAYBE = "maybe", _("Maybe")

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="event_invitations")
    # A walk-in who is not a customer: handed to sales as a lead (followups.leads).
    lead = models.ForeignKey("leads.Lead", verbose_name=_("sales lead"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    rsvp = models.CharField(_("answer"), max_length=8, choices=Rsvp.choices, default=Rsvp.PENDING)
    party_size = models.PositiveSmallIntegerField(_("party size"), default=1)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("invited by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # The invitation SMS (its status is the outbox's) or the invitation call on the callback queue.
    message = models.ForeignKey("messaging.OutboundMessage", verbose_name=_("SMS"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    callback = models.ForeignKey("callbacks.Callback", verbose_name=_("call"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("checked in by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    guests_arrived = models.PositiveSmallIntegerField(_("guests arrived"), null=True, blank=True)
    # Why the SMS platform left the invitation's text out (an Exclusion code: refuses SMS, weekly cap,
    # open complaint…); empty once a text is queued.
    sms_refused = models.CharField(_("SMS not sent because"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["event", "id"]
        constraints = [
            # One invitation per customer per event, whatever reruns or double clicks.
            models.UniqueConstraint(fields=["event", "customer"], condition=Q(customer__isnull=False),
                                    name="invitation_once_per_customer"),
            models.CheckConstraint(condition=Q(customer__isnull=False) | Q(lead__isnull=False),
                                   name="invitation_has_a_guest"),
            models.CheckConstraint(condition=Q(party_size__gte=1), name="invitation_party_at_least_one"),
        ]
        indexes = [
            models.Index(fields=["event", "rsvp"], name="invitation_rsvp_idx"),
            models.Index(fields=["customer"], condition=Q(customer__isnull=False), name="invitation_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.customer or self.lead}"


class ChecklistItem(models.Model):
    """One preparation task of an event (invitations, catering 冷餐, venue, gifts, drinks, …) with its
    owner and due date, and what it cost."""

    class Kind(models.TextChoices):
        INVITATIONS = "invitations", _("Invitations")
        CATERING = "catering", _("Catering")
        VENUE = "venue", _("Venue")
        GIFTS = "gifts", _("Gifts")
        DRINKS = "drinks", _("Drinks")
        MATERIALS = "materials", _("Printed materials")
        OTHER = "other", pgettext_lazy("checklist item", "Other")

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="checklist")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("task"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    due_on = models.DateField(_("due"), null=True, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=10, decimal_places=2, default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["event", "due_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(cost__gte=0), name="checklist_cost_not_negative")]

    def __str__(self) -> str:
        return self.title
