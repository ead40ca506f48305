"""Membership and points (会员 / 积分).

A member's points live in an append-only ledger (`PointsEntry`); the member row keeps the two
balances the ledger adds up to: the usable balance (what can be redeemed: earned minus redeemed minus
expired) and the cumulative balance (everything ever earned, which sets the tier). Never wrong,
whatever runs twice or at the same moment: a repair order earns points once (a unique index), the
usable balance never goes below zero (a check constraint, and every change locks the member's row).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, ServiceVisit


class Tier(models.Model):
    """A tier reached by cumulative points (e.g. 10,000 / 30,000 / 60,000), with its benefits."""

    name = models.CharField(_("tier"), max_length=30, unique=True)
    threshold = models.PositiveIntegerField(_("from cumulative points"), unique=True,
                                            error_messages={"unique": _("Another tier starts at these points.")})
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        verbose_name = _("member tier")
        verbose_name_plural = _("member tiers")
        ordering = ["threshold"]

    def __str__(self) -> str:
        return self.name


class PointsRule(models.Model):
    """How many points a yuan of a paid visit earns, by visit type (an internal order earns none)."""

    visit_kind = models.CharField(_("visit type"), max_length=10, choices=ServiceVisit.Kind.choices, unique=True)
    points_per_yuan = models.DecimalField(_("points per yuan"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["visit_kind"]
        constraints = [models.CheckConstraint(condition=Q(points_per_yuan__gte=0), name="points_rule_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_visit_kind_display()}: {self.points_per_yuan}"


class Member(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Member")
        LEFT = "left", _("Left")

    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                    related_name="membership")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    joined_on = models.DateField(_("joined"))
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="members")
    usable = models.IntegerField(_("usable points"), default=0)
    cumulative = models.IntegerField(_("cumulative points"), default=0)
    # The last paid visit: points expire after the settings' months without one.
    last_paid_visit_on = models.DateField(_("last paid visit"), null=True, blank=True)
    # The day of the latest credit (earned or added by a correction): when it is older than the expiry
    # cut-off, everything left expires without reading the ledger (the daily job's fast path).
    last_credit_on = models.DateField(_("last credited"), null=True, blank=True)
    joined_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("enrolled by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["-id"]
        permissions = [
            ("redeem_points", _("Can redeem a member's points")),
            ("adjust_points", _("Can correct a member's points")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(usable__gte=0), name="member_usable_never_negative"),
            models.CheckConstraint(condition=Q(cumulative__gte=0), name="member_cumulative_never_negative"),
        ]
        indexes = [
            models.Index(fields=["tier"], name="member_tier_idx"),
            models.Index(fields=["last_paid_visit_on"], condition=Q(usable__gt=0), name="member_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.customer}"

    @property
    def number(self) -> str:
        """HY000012: the member number on the card (会员 HY)."""
        return f"HY{self.pk or 0:06d}"


class Reward(models.Model):
    """What points buy: an accessory (精品) or labour hours (工时)."""

    class Kind(models.TextChoices):
        ACCESSORY = "accessory", _("Accessory")
        LABOUR = "labour", _("Labour hours")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("reward"), max_length=100, unique=True)
    points = models.PositiveIntegerField(_("points"))
    # Accessories are counted; labour hours have no stock (empty).
    stock = models.PositiveIntegerField(_("in stock"), null=True, blank=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["kind", "points", "name"]
        constraints = [models.CheckConstraint(condition=Q(points__gte=1), name="reward_points_positive")]

    def __str__(self) -> str:
        return self.name


class PointsEntry(models.Model):
    """One line of a member's statement. Never changed or deleted: a correction is a new line."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Correction")

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # Signed: earned points are positive, redeemed and expired ones negative.
    points = models.IntegerField(_("points"))
    usable_after = models.IntegerField(_("usable balance after"))
    at = models.DateTimeField(_("when"))
    visit = models.ForeignKey(ServiceVisit, verbose_name=_("repair order"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    reward = models.ForeignKey(Reward, verbose_name=_("reward"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    quantity = models.PositiveSmallIntegerField(_("quantity"), null=True, blank=True)
    # What the repair order came to when it earned: a corrected re-import never earns again, and the
    # statement shows what the points were earned on.
    amount = models.DecimalField(_("spend"), max_digits=10, decimal_places=2, null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(pgettext_lazy("points entry", "note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["member", "at", "id"]
        constraints = [
            # A repair order earns points once, whatever reruns and re-imports.
            models.UniqueConstraint(fields=["visit"], condition=Q(kind="earn"), name="points_once_per_visit"),
            models.CheckConstraint(condition=Q(usable_after__gte=0), name="points_entry_balance_never_negative"),
            models.CheckConstraint(
                condition=(Q(kind="earn", points__gte=0) | Q(kind__in=["redeem", "expire"], points__lte=0)
                           | Q(kind="adjust")),
                name="points_entry_sign_by_kind"),
        ]
        indexes = [models.Index(fields=["member", "-at", "-id"], name="points_statement_idx")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.points}"
