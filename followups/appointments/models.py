"""Appointments' records (预约): who serves (an advisor or a bay), how many cars each takes per hour
on each kind of day, the slots made from that, and the bookings.

What must never be wrong is enforced here, in the database:
- a slot never holds more bookings than its places: `booked` is counted up by one conditional UPDATE
  (`booked < places`) and checked (`slot_not_over_capacity`), so two agents booking the last place at
  once get one place and one "full";
- one slot per resource and hour (`slot_one_per_hour`); one capacity per resource, day type and hour;
- one confirmation and one day-before SMS per appointment (the SMS platform's idempotency keys).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, ServiceVisit, Vehicle


class ServiceResource(models.Model):
    """Who or what takes the booked cars: a service advisor (服务顾问) or a workshop bay (工位)."""

    class Kind(models.TextChoices):
        ADVISOR = "advisor", _("Service advisor")
        BAY = "bay", _("Workshop bay")

    name = models.CharField(_("name"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.ADVISOR)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("login"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("service resource")
        verbose_name_plural = _("service resources")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class DayType(models.TextChoices):
    """Which capacity a day takes: China's working days (with the make-up days, 调休) or its rest
    days; public holidays and the store's closed days have no slots unless the store opens them."""

    WORKDAY = "workday", _("Working day")
    REST_DAY = "rest_day", _("Weekend")


class Capacity(models.Model):
    """How many cars a resource takes in one hour on one type of day (0: none)."""

    resource = models.ForeignKey(ServiceResource, verbose_name=_("resource"), on_delete=models.CASCADE,
                                 related_name="capacities")
    day_type = models.CharField(_("day type"), max_length=8, choices=DayType.choices)
    hour = models.PositiveSmallIntegerField(_("hour"), validators=[MinValueValidator(0), MaxValueValidator(23)])
    places = models.PositiveSmallIntegerField(_("places"), validators=[MaxValueValidator(50)])

    class Meta:
        verbose_name = _("capacity")
        verbose_name_plural = _("capacities")
        ordering = ["resource", "day_type", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "day_type", "hour"], name="capacity_one_per_hour"),
            models.CheckConstraint(condition=Q(hour__lte=23), name="capacity_hour_of_day"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.get_day_type_display()} {self.hour}:00 × {self.places}"


class Slot(models.Model):
    """One hour of one resource on one day, with its places and how many are booked. Made from the
    capacities for the days ahead (`services.slots_ensure`); a slot already made keeps its places
    when the capacity changes, unless the change is applied (`services.capacity_apply`)."""

    resource = models.ForeignKey(ServiceResource, verbose_name=_("resource"), on_delete=models.CASCADE,
                                 related_name="slots")
    day = models.DateField(_("day"))
    hour = models.PositiveSmallIntegerField(_("hour"))
    starts_at = models.DateTimeField(_("starts"))
    places = models.PositiveSmallIntegerField(_("places"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "starts_at"], name="slot_one_per_hour"),
            models.CheckConstraint(condition=Q(booked__lte=F("places")), name="slot_not_over_capacity"),
        ]
        indexes = [models.Index(fields=["day", "hour"], name="slot_day_idx")]

    def __str__(self) -> str:
        return f"{self.resource} {self.day} {self.hour}:00"

    @property
    def free(self) -> int:
        return max(self.places - self.booked, 0)


class Appointment(models.Model):
    """A customer's booking of a slot, with the jobs and the customer's own words, so the service
    desk prepares the parts and the customer does not repeat themselves."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        ARRIVED = "arrived", pgettext_lazy("appointment", "Arrived")
        NO_SHOW = "no_show", _("Did not come")
        CANCELLED = "cancelled", pgettext_lazy("appointment", "Cancelled")
        RESCHEDULED = "rescheduled", _("Moved to another time")

    class Source(models.TextChoices):
        REMINDER_CALL = "reminder", _("Reminder call")
        CUSTOMER_PAGE = "customer", _("Customer page")
        PHONE_CALL = "phone", _("Incoming call")
        DELIVERY = "delivery", _("At delivery")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="appointments")
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="appointments")
    slot = models.ForeignKey(Slot, verbose_name=_("slot"), on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField(_("time"))  # the slot's, kept here for the lists' order and index
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField(_("booked from"), max_length=10, choices=Source.choices)
    jobs = models.JSONField(_("jobs"), default=list, help_text=_("What is to be done, one job a line."))
    customer_words = models.TextField(_("in the customer's words"), blank=True)
    parts_note = models.CharField(_("parts to check"), max_length=200, blank=True)
    reminder = models.ForeignKey("retention.Reminder", verbose_name=_("reminder"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="appointments")
    callback = models.ForeignKey("callbacks.Callback", verbose_name=_("booked in call"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="appointments")
    visit = models.OneToOneField(ServiceVisit, verbose_name=_("repair order"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="appointment")
    rescheduled_to = models.OneToOneField("self", verbose_name=_("moved to"), null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="rescheduled_from")
    no_show_callback = models.OneToOneField("callbacks.Callback", verbose_name=_("no-show call"), null=True,
                                            blank=True, on_delete=models.SET_NULL, related_name="no_show_of")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("booked by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    booked_at = models.DateTimeField(_("booked"))
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "id"]
        permissions = [
            ("book_appointment", _("Can book, move and cancel appointments")),
            ("desk_appointment", _("Can check customers in at the service desk")),
        ]
        indexes = [
            models.Index(fields=["starts_at", "status"], name="appointment_day_idx"),
            models.Index(fields=["customer", "-starts_at"], name="appointment_customer_idx"),
            models.Index(fields=["vehicle", "status"], name="appointment_vehicle_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.starts_at:%Y-%m-%d %H:%M}"
