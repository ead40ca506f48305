"""Retention's records (招揽): when each vehicle is next due, the reminders and solicitations sent
for it, the lapsed customers with what is known of why they stopped coming, and what came back.

What must never be wrong is enforced here, in the database:
- one reminder per vehicle, kind and due cycle (`reminder_one_per_cycle`): a second run of the day's
  job, or two at once, insert nothing (a cycle is "the first maintenance" or "after repair order N");
- one lapse per customer, band and last visit (`lapse_one_per_band`);
- one state row per vehicle (`ServiceDue` is keyed by the vehicle).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, ServiceVisit, Vehicle


class ServiceDue(models.Model):
    """When a vehicle is next due for maintenance (保养到期), worked out from its delivery and its
    repair orders: one row per vehicle, refreshed for the vehicles whose visits, owner or delivery
    changed (`services.service_due_refresh`), so the day's jobs read an index by date instead of the
    whole archive.

    The cycle names what the reminder is for: "first" until the first maintenance (首保) is done,
    then "after:<visit id>" counted from the last maintenance. A vehicle without a current owner
    (sold, or never delivered to anyone) has no customer and is never reminded.
    """

    class DueBy(models.TextChoices):
        TIME = "time", _("By time")
        MILEAGE = "km", _("By mileage")

    vehicle = models.OneToOneField(Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE, primary_key=True,
                                   related_name="service_due")
    customer = models.ForeignKey(Customer, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    delivered_on = models.DateField(_("delivery date"), null=True, blank=True)
    first_done_on = models.DateField(_("first maintenance done on"), null=True, blank=True)
    last_maintenance_on = models.DateField(_("last maintenance"), null=True, blank=True)
    last_maintenance_km = models.PositiveIntegerField(_("mileage at the last maintenance"), null=True, blank=True)
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True)
    last_advisor = models.CharField(_("service advisor"), max_length=30, blank=True)
    last_mileage = models.PositiveIntegerField(_("last known mileage"), null=True, blank=True)
    last_mileage_on = models.DateField(_("mileage read on"), null=True, blank=True)
    km_per_day = models.DecimalField(_("km a day"), max_digits=6, decimal_places=1, null=True, blank=True)
    cycle = models.CharField(_("due cycle"), max_length=30, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    due_by = models.CharField(_("due by"), max_length=4, choices=DueBy.choices, blank=True)
    window_end = models.DateField(_("window ends"), null=True, blank=True,
                                  help_text=_("A visit by this day counts as the reminder's return."))
    refreshed_at = models.DateTimeField(_("refreshed"), auto_now=True)

    class Meta:
        verbose_name = _("maintenance due")
        verbose_name_plural = _("maintenance due")
        indexes = [
            models.Index(fields=["due_on"], condition=Q(customer__isnull=False), name="service_due_on_idx"),
            models.Index(fields=["customer"], name="service_due_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id}: {self.due_on}"


class ReminderKind(models.TextChoices):
    FIRST_MAINTENANCE = "first", _("First-maintenance solicitation")  # 首保招揽
    FIRST_CHASE = "first_chase", _("First-maintenance chase")  # 首保追踪: not come by the deadline's approach
    MAINTENANCE = "maintenance", _("Maintenance reminder")  # 保养提醒
    # The win-back (流失挽回) is not a reminder of a due cycle: it is a lapse's call (Lapse.callback).


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    CALL = "call", _("Call")
    LETTER = "letter", _("Letter")


class Reminder(models.Model):
    """One solicitation or reminder for one vehicle's due cycle, by one channel: an SMS through the
    SMS platform, a call (a callback of its own kind on the workbench) or a letter (a printable
    list with addresses). It is converted when the vehicle visits by `window_end`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To do")  # a letter to print, a call in the queue, an SMS waiting
        DONE = "done", _("Done")  # the SMS queued, the letter printed, the call made
        SKIPPED = "skipped", _("Skipped")  # nobody to send it to: see skip_reason
        CANCELLED = "cancelled", pgettext_lazy("reminder", "Cancelled")  # booked, came, car sold

    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE, related_name="reminders")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="reminders")
    kind = models.CharField(_("kind"), max_length=12, choices=ReminderKind.choices)
    cycle = models.CharField(_("due cycle"), max_length=30)
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(_("why not"), max_length=30, blank=True)
    due_on = models.DateField(_("due on"))
    window_end = models.DateField(_("window ends"))
    created_on = models.DateField(_("made on"))
    advisor = models.CharField(_("service advisor"), max_length=30, blank=True)
    concern = models.CharField(_("to ask about first"), max_length=200, blank=True,
                               help_text=_("The last visit's problem or complaint, open or recently closed."))
    callback = models.OneToOneField("callbacks.Callback", verbose_name=_("call"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="reminder")
    message = models.ForeignKey("messaging.OutboundMessage", verbose_name=_("SMS"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    letter_printed_at = models.DateTimeField(_("letter printed"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    converted_visit = models.ForeignKey(ServiceVisit, verbose_name=_("brought back"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    converted_on = models.DateField(_("came back on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["vehicle", "kind", "cycle"], name="reminder_one_per_cycle"),
        ]
        indexes = [
            models.Index(fields=["created_on", "kind"], name="reminder_made_idx"),
            models.Index(fields=["vehicle", "window_end"], condition=Q(converted_visit__isnull=True),
                         name="reminder_unconverted_idx"),
            models.Index(fields=["channel", "status"], condition=Q(status="pending"), name="reminder_pending_idx"),
            models.Index(fields=["customer", "-created_on"], name="reminder_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.vehicle_id} · {self.cycle}"


class LapseBand(models.Model):
    """A lapse band (流失分级): customers with no visit for this many months. Each band crossed gives
    the customer a row on the lapse list and, when the band says so, a win-back call."""

    months = models.PositiveSmallIntegerField(_("months without a visit"), unique=True,
                                              validators=[MinValueValidator(1), MaxValueValidator(120)])
    name = models.CharField(_("name"), max_length=30)
    win_back_call = models.BooleanField(_("win-back call"), default=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("lapse band")
        verbose_name_plural = _("lapse bands")
        ordering = ["months"]

    def __str__(self) -> str:
        return self.name


class Lapse(models.Model):
    """A customer who crossed a lapse band: no visit since `since` for `band.months` months."""

    class Status(models.TextChoices):
        OPEN = "open", _("Lapsed")
        RETURNED = "returned", _("Came back")
        LOST = "lost", _("Lost for good")  # sold the car, moved away: no more win-back

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="lapses")
    band = models.ForeignKey(LapseBand, verbose_name=_("band"), on_delete=models.PROTECT, related_name="lapses")
    since = models.DateField(_("last visit"))
    created_on = models.DateField(_("lapsed on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    callback = models.OneToOneField("callbacks.Callback", verbose_name=_("win-back call"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="lapse")
    returned_visit = models.ForeignKey(ServiceVisit, verbose_name=_("came back with"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    returned_on = models.DateField(_("came back on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("lapsed customer")
        verbose_name_plural = _("lapsed customers")
        ordering = ["-created_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "band", "since"], name="lapse_one_per_band"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_on"], name="lapse_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.band_id} · {self.since}"


class LapseReason(models.Model):
    """Why a customer stopped coming, as the store learnt it (on a win-back call, from the sales
    side, from the customer). A sold car also ends the owner's role in the archive and stops the
    reminders for that car."""

    class Reason(models.TextChoices):
        SERVICE_PROBLEM = "problem", _("Unhappy with a past visit")
        COMPLAINT = "complaint", _("Complaint not settled")
        PRICE = "price", _("Prices too high")
        ELSEWHERE = "elsewhere", _("Services elsewhere")
        DISTANCE = "distance", _("Too far from the store")
        MOVED = "moved", _("Moved away")
        SOLD = "sold", _("Sold the car")
        SCRAPPED = "scrapped", _("Car scrapped")
        OTHER = "other", pgettext_lazy("lapse reason", "Other")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="lapse_reasons")
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    lapse = models.ForeignKey(Lapse, verbose_name=_("lapse"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="reasons")
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("lapse reason")
        verbose_name_plural = _("lapse reasons")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["customer", "-recorded_at"], name="lapse_reason_customer_idx")]

    def __str__(self) -> str:
        return self.get_reason_display()


class RefreshMark(models.Model):
    """How far `service_due_refresh` has read the archive: the highest visit, vehicle and owner-role
    ids it has seen. One row (pk 1). The next refresh reads only what came after, whoever added it
    (an import, a form, the demo), so the daily jobs' cost follows the day's new rows."""

    visit_id = models.BigIntegerField(default=0)
    vehicle_id = models.BigIntegerField(default=0)
    role_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # When the first refresh filled the whole archive: the daily builds catch up no window that
    # opened before retention began (they would make days of reminders on the first morning).
    filled_at = models.DateTimeField(_("archive filled"), null=True, blank=True)

    class Meta:
        verbose_name = _("refresh mark")
        verbose_name_plural = _("refresh marks")
