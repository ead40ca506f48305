"""Sales leads (销售线索): a caller who wants a car, a referral, an interested visitor, handed to the
sales department with what they want, and followed up there until they buy or are lost."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from customers.validators import validate_mobile


class Lead(models.Model):
    class Source(models.TextChoices):
        CALLER = "caller", _("Caller")  # 来电
        REFERRAL = "referral", _("Referral")  # 转介绍
        VISITOR = "visitor", _("Visitor")  # 来店
        CALLBACK = "callback", _("Callback")  # raised on a callback or a reminder call
        OTHER = "other", pgettext_lazy("lead source", "Other")

    class Timing(models.TextChoices):
        NOW = "now", _("Within a month")
        SOON = "soon", _("Within three months")
        LATER = "later", _("Later this year")
        UNKNOWN = "unknown", _("Not decided")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("lead status", "New")
        ASSIGNED = "assigned", _("Assigned")
        FOLLOWING = "following", _("Being followed up")
        WON = "won", _("Bought")
        LOST = "lost", _("Lost")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="leads",
                                 help_text=_("When the prospect is already in the archive."))
    name = models.CharField(_("name"), max_length=50)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile])
    referred_by = models.ForeignKey(Customer, verbose_name=_("referred by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="referred_leads")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    model_interest = models.CharField(_("model of interest"), max_length=50, blank=True)
    budget = models.CharField(_("budget"), max_length=30, blank=True)
    timing = models.CharField(_("when to buy"), max_length=8, choices=Timing.choices, default=Timing.UNKNOWN)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales consultant"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="leads")
    next_contact_on = models.DateField(_("next contact"), null=True, blank=True)
    callback = models.ForeignKey("callbacks.Callback", verbose_name=_("raised in call"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sales lead")
        verbose_name_plural = _("sales leads")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("manage_lead", _("Can assign and close every lead")),
            ("follow_lead", _("Can follow up the leads one is given")),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="lead_list_idx"),
            models.Index(fields=["assigned_to", "status", "next_contact_on"], name="lead_consultant_idx"),
            models.Index(fields=["mobile"], condition=~Q(mobile=""), name="lead_mobile_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}" if self.pk else self.name

    @property
    def number(self) -> str:
        """XS000012: how staff quote a lead (销售 XS), as a complaint is TS…."""
        return f"XS{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.WON, self.Status.LOST)


class LeadStep(models.Model):
    """One step of a lead: created, linked to the archive, assigned (to whom), a contact with its note
    and the next date agreed, won, lost (the reason in the note), reopened."""

    class Action(models.TextChoices):
        CREATED = "created", pgettext_lazy("lead step", "Created")
        ASSIGNED = "assigned", _("Assigned")
        CONTACTED = "contacted", _("Contacted")
        WON = "won", _("Bought")
        LOST = "lost", _("Lost")
        REOPENED = "reopened", _("Reopened")
        LINKED = "linked", _("Linked to the archive")

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(_("when"))
    # An assignment's consultant and a contact's (or an assignment's) next contact date, kept with the
    # step: the lead holds only the latest, the story keeps each.
    to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("given to"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    next_contact_on = models.DateField(_("next contact"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead step")
        verbose_name_plural = _("lead steps")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.get_action_display()
