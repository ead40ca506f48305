"""Face-to-face interviews (面访) and the lounge (客休区).

An interview completes the customer's file in person: what the file gains is written through the
archive's services (so its history says who changed what); what the interview adds of its own is kept
here — the customer's suggestions (each may go to a department as a problem of the callback centre),
the people they refer (each a sales lead), the gift they chose from the gift menu (a gift request for
the general manager) and, for an important customer, the important-customer form (重要客户面访表).

A lounge visit is one customer waiting in the lounge: when they arrived (for today's appointment or
repair order, or just in), what they were offered, when they left, and what the host learned.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, ServiceVisit


class Interview(models.Model):
    class Place(models.TextChoices):
        STORE = "store", _("In the store")  # 店内
        HOME = "home", _("At the customer's home or work")  # 上门
        EVENT = "event", _("At an event")  # 活动现场
        PHONE = "phone", _("By phone or video")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="interviews")
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=8, choices=Place.choices, default=Place.STORE)
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("interviewer"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    summary = models.TextField(_("what was talked about"), blank=True)
    # The file's fields this interview wrote (customer_update), and the family members it added or changed:
    # the page says what the interview brought to the file.
    file_fields = models.JSONField(_("file fields filled in"), default=list, blank=True)
    family_changed = models.PositiveSmallIntegerField(_("family members added or changed"), default=0)
    gift_request = models.OneToOneField("gifts.GiftRequest", verbose_name=_("gift chosen"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="interview")
    lounge_visit = models.ForeignKey("LoungeVisit", verbose_name=_("lounge visit"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="interviews")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-held_at", "-id"]
        indexes = [
            models.Index(fields=["-held_at", "-id"], name="interview_list_idx"),
            models.Index(fields=["customer", "-held_at"], name="interview_customer_idx"),
            models.Index(fields=["interviewer", "-held_at"], name="interview_interviewer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.customer.name}" if self.pk else str(_("interview"))

    @property
    def number(self) -> str:
        """MF000012: how staff quote an interview (面访 MF), as a lead is XS…."""
        return f"MF{self.pk or 0:06d}"


class Suggestion(models.Model):
    """What the customer suggested or complained of, in their words; when it needs a department's
    answer, a problem of the callback centre routed there (followups.callbacks.services.problem_raise)."""

    interview = models.ForeignKey(Interview, verbose_name=_("interview"), on_delete=models.CASCADE,
                                  related_name="suggestions")
    text = models.TextField(_("suggestion"))
    problem = models.OneToOneField("callbacks.Problem", verbose_name=_("problem raised"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="interview_suggestion")

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="care_suggestion_text_required")]

    def __str__(self) -> str:
        return self.text[:40]


class Referral(models.Model):
    """Someone the customer referred (转介绍), handed to sales as a lead of source referral."""

    interview = models.ForeignKey(Interview, verbose_name=_("interview"), on_delete=models.CASCADE,
                                  related_name="referrals")
    lead = models.OneToOneField("leads.Lead", verbose_name=_("sales lead"), on_delete=models.PROTECT,
                                related_name="interview_referral")

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.lead)


class ImportantCustomerForm(models.Model):
    """The important-customer interview form (重要客户面访表): what the store needs to know of a
    customer who matters — their work and standing, the cars around them (family, friends who drive:
    the next referrals), who decides, and how they want to be contacted."""

    class Contact(models.TextChoices):
        PHONE = "phone", _("Phone call")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")
        VISIT = "visit", _("Visit in person")
        THROUGH = "through", _("Through an assistant or family member")

    interview = models.OneToOneField(Interview, verbose_name=_("interview"), on_delete=models.CASCADE,
                                     related_name="important_form")
    company = models.CharField(_("company"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=50, blank=True)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    family_vehicles = models.CharField(_("vehicles in the family"), max_length=200, blank=True)
    friends_vehicles = models.CharField(_("friends who drive, and their cars"), max_length=200, blank=True)
    decision_maker = models.CharField(_("who decides on a car"), max_length=50, blank=True)
    preferred_contact = models.CharField(_("preferred contact"), max_length=8, choices=Contact.choices, blank=True)
    best_time = models.CharField(_("best time to contact"), max_length=50, blank=True)
    car_use = models.CharField(_("how the car is used"), max_length=200, blank=True)
    next_purchase = models.CharField(_("next purchase planned"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("important-customer interview form")
        verbose_name_plural = _("important-customer interview forms")

    def __str__(self) -> str:
        return str(self.interview)


class LoungeVisit(models.Model):
    class Offer(models.TextChoices):
        COFFEE = "coffee", _("Coffee")
        TEA = "tea", _("Tea")
        WATER = "water", _("Water")
        JUICE = "juice", _("Juice")
        SNACKS = "snacks", _("Snacks")
        FRUIT = "fruit", _("Fruit")
        CANDY = "candy", _("Sweets")
        NEWSPAPER = "reading", _("Magazines and films")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="lounge_visits")
    appointment = models.ForeignKey("appointments.Appointment", verbose_name=_("appointment"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="lounge_visits")
    service_visit = models.ForeignKey(ServiceVisit, verbose_name=_("repair order"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="lounge_visits")
    arrived_at = models.DateTimeField(_("arrived"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("lounge host"), null=True,
                             on_delete=models.SET_NULL, related_name="+")
    offered = models.JSONField(_("offered"), default=list, blank=True)
    offered_note = models.CharField(_("offered, other"), max_length=100, blank=True)
    needs = models.TextField(_("needs heard"), blank=True)
    note = models.TextField(_("note"), blank=True)
    file_fields = models.JSONField(_("file fields filled in"), default=list, blank=True)
    left_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("left, recorded by"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("lounge visit")
        verbose_name_plural = _("lounge visits")
        ordering = ["-arrived_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(left_at__isnull=True) | Q(left_at__gte=F("arrived_at")),
                                   name="care_lounge_left_after_arrival"),
            # A customer waits in the lounge once at a time: a second arrival while waiting is refused.
            models.UniqueConstraint(fields=["customer"], condition=Q(left_at__isnull=True),
                                    name="care_lounge_one_wait_per_customer"),
        ]
        indexes = [
            models.Index(fields=["arrived_at"], condition=Q(left_at__isnull=True), name="care_lounge_waiting_idx"),
            models.Index(fields=["-arrived_at", "-id"], name="care_lounge_list_idx"),
            models.Index(fields=["customer", "-arrived_at"], name="care_lounge_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer.name} {self.arrived_at:%Y-%m-%d %H:%M}"

    @property
    def is_waiting(self) -> bool:
        return self.left_at is None

    def minutes_waited(self, now=None) -> int:
        """Whole minutes from arrival to leaving (or to `now`, while they wait)."""
        end = self.left_at or now
        if end is None:
            return 0
        return max(int((end - self.arrived_at).total_seconds() // 60), 0)

    def offered_labels(self) -> list[str]:
        labels = dict(self.Offer.choices)
        return [str(labels.get(code, code)) for code in self.offered] + ([self.offered_note] if self.offered_note else [])

