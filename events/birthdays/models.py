"""Birthday greetings (生日祝福): one row per person and year, whatever reruns.

A greeting is made on the day of the birthday by the daily job (`services.birthdays_greet`): for a
customer their own greeting SMS (and, for an important customer, the birthday call), for a child on
file (a family member) the greeting to the parent. The database holds one greeting per customer per
year and one per child per year (two partial unique constraints): a second run, or two runs at once,
make nothing more; the SMS is keyed by the same person and year at the SMS platform too.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, FamilyMember


class BirthdayGreeting(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Greeting queued")  # in the SMS outbox: its message says sent or not
        REFUSED = "refused", _("Greeting not sent")  # the SMS platform refused it (refused_reason)

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="birthday_greetings")
    # A child's birthday: which child; empty for the customer's own birthday.
    family_member = models.ForeignKey(FamilyMember, verbose_name=_("family member"), null=True, blank=True,
                                      on_delete=models.CASCADE, related_name="birthday_greetings")
    year = models.PositiveSmallIntegerField(_("year"))
    # The day it was celebrated: the birthday, or 28 February for a 29 February birthday in a common year.
    celebrated_on = models.DateField(_("celebrated on"))
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Why the SMS platform refused it (a dealer_crm.messaging.audience.Exclusion, e.g. refuses_sms).
    refused_reason = models.CharField(_("reason not sent"), max_length=40, blank=True)
    message = models.ForeignKey("messaging.OutboundMessage", verbose_name=_("SMS"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    # The birthday call of an important customer (CallbackKind.BIRTHDAY), or why there is none.
    callback = models.ForeignKey("callbacks.Callback", verbose_name=_("birthday call"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    call_skipped = models.CharField(_("no call because"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("birthday greeting")
        verbose_name_plural = _("birthday greetings")
        ordering = ["-celebrated_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "year"], condition=Q(family_member__isnull=True),
                                    name="birthday_greeting_once_per_customer_year"),
            models.UniqueConstraint(fields=["family_member", "year"], condition=Q(family_member__isnull=False),
                                    name="birthday_greeting_once_per_child_year"),
            models.CheckConstraint(condition=Q(status="queued") | ~Q(refused_reason=""),
                                   name="birthday_greeting_refusal_has_reason"),
        ]
        indexes = [models.Index(fields=["celebrated_on"], name="birthday_greeting_day_idx")]

    def __str__(self) -> str:
        whose = self.family_member.name if self.family_member_id else self.customer.name
        return f"{whose} · {self.celebrated_on:%Y-%m-%d}"
