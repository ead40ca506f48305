"""The archive (客户档案): customers, their family, vehicles, owner/driver roles, delivery files,
service visits, one contact timeline, and the traces of merges.

Search keys (pinyin, reversed phones and VIN, plate without province) are derived from the
fields they index by `Customer.derive_search_keys` / `Vehicle.derive_search_keys`, called by
`save()` and by every bulk path.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import ExtractDay, ExtractMonth
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .normalize import name_pinyin, name_pinyin_mixed, plate_search_key
from .timeline import EntryText, entry_text
from .validators import validate_mobile, validate_phone, validate_plate, validate_vin

MOBILE_REGEX = r"^1[3-9][0-9]{9}$"
PHONE_REGEX = r"^[0-9]{7,12}$"


def _pattern_index(field: str, name: str) -> models.Index:
    # text_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' in any collation.
    return models.Index(fields=[field], name=name, opclasses=["text_pattern_ops"])


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    UNKNOWN = "", _("Unknown")


class ActiveCustomerManager(models.Manager):
    """Customers that were not merged into another one."""

    def get_queryset(self):
        return super().get_queryset().filter(merged_into__isnull=True)


class Customer(models.Model):
    class Importance(models.TextChoices):
        NORMAL = "normal", _("Normal")
        IMPORTANT = "important", _("Important")
        VIP = "vip", _("VIP")

    class Source(models.TextChoices):
        DELIVERY = "delivery", _("New car delivery")
        SERVICE = "service", _("Service visit")
        REFERRAL = "referral", _("Referral")
        IMPORT = "import", _("Archive import")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile])
    phone2 = models.CharField(_("other phone"), max_length=12, blank=True, validators=[validate_phone],
                              help_text=_("A second mobile or a landline with its area code."))
    address = models.CharField(_("address"), max_length=200, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    id_number = models.CharField(_("ID card number"), max_length=18, blank=True,
                                 help_text=_("Only if the store needs it; shown masked."))
    occupation = models.CharField(_("occupation"), max_length=50, blank=True)
    social_level = models.CharField(_("social circle"), max_length=50, blank=True)
    interests = models.TextField(_("hobbies and interests"), blank=True)
    expectations = models.TextField(_("expectations of the store"), blank=True)
    note = models.TextField(_("note"), blank=True)
    importance = models.CharField(_("importance"), max_length=10, choices=Importance.choices,
                                  default=Importance.NORMAL)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.OTHER)
    referred_by = models.ForeignKey("self", verbose_name=_("referred by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="referrals", db_index=False)
    lost_contact_since = models.DateField(_("lost contact since"), null=True, blank=True)
    quiet_from = models.TimeField(_("do not disturb from"), null=True, blank=True)
    quiet_until = models.TimeField(_("do not disturb until"), null=True, blank=True)
    needs_review = models.BooleanField(
        _("to be checked"), default=False,
        help_text=_("Created from what an import knew (e.g. who brought a car in): check the data with the customer."))
    last_visit_on = models.DateField(_("last service visit"), null=True, blank=True, editable=False)
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+", editable=False, db_index=False)
    # Search keys, derived from name and phones.
    name_pinyin = models.CharField(max_length=100, blank=True, editable=False)
    name_initials = models.CharField(max_length=20, blank=True, editable=False)
    # Mixed pinyin of a Chinese name: 张思阳 → "zhangsy" (given name as initials), "zsiyang" (surname as initial).
    name_pinyin_given_initials = models.CharField(max_length=100, blank=True, editable=False)
    name_pinyin_surname_initial = models.CharField(max_length=100, blank=True, editable=False)
    mobile_rev = models.CharField(max_length=11, blank=True, editable=False)
    phone2_rev = models.CharField(max_length=12, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ActiveCustomerManager()
    all_objects = models.Manager()
    history = HistoricalRecords(
        excluded_fields=["name_pinyin", "name_initials", "name_pinyin_given_initials", "name_pinyin_surname_initial",
                         "mobile_rev", "phone2_rev", "updated_at", "last_visit_on"],
        # History is read by customer (`id`), never by these: their indexes would only slow every write.
        no_db_index=["merged_into", "referred_by"],
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        base_manager_name = "all_objects"
        default_manager_name = "objects"
        ordering = ["-id"]
        permissions = [
            ("reveal_phone", _("Can reveal a customer's full phone number")),
            ("merge_customer", _("Can merge duplicate customers")),
            ("export_customers", _("Can export customer lists")),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="customer_name_required",
                                   violation_error_message=_("Enter the customer's name.")),
            models.CheckConstraint(condition=Q(mobile="") | Q(mobile__regex=MOBILE_REGEX),
                                   name="customer_mobile_format"),
            models.CheckConstraint(condition=Q(phone2="") | Q(phone2__regex=PHONE_REGEX),
                                   name="customer_phone2_format"),
            models.CheckConstraint(condition=Q(merged_into__isnull=True) | ~Q(merged_into=F("id")),
                                   name="customer_not_merged_into_itself"),
        ]
        indexes = [
            _pattern_index("name", "customer_name_idx"),
            # Pinyin and initials: equality, prefix ranges and the list's name order, newest first within
            # a name, straight from the index (exact initials like "zs" match thousands).
            models.Index(fields=["name_initials", "-id"], name="customer_initials_newest_idx"),
            models.Index(fields=["name_pinyin", "-id"], name="customer_pinyin_newest_idx"),
            models.Index(fields=["name_pinyin_given_initials", "-id"], name="customer_pinyin_given_idx"),
            models.Index(fields=["name_pinyin_surname_initial", "-id"], name="customer_pinyin_surname_idx"),
            # On PostgreSQL a given name anywhere in the name (思阳 in 张思阳) has a GIN index on the
            # name's two-character pieces: migration 0012.
            _pattern_index("mobile", "customer_mobile_idx"),
            _pattern_index("mobile_rev", "customer_mobile_rev_idx"),
            _pattern_index("phone2", "customer_phone2_idx"),
            _pattern_index("phone2_rev", "customer_phone2_rev_idx"),
            # On PostgreSQL the list's last-visit orderings (nulls last) have their own indexes: migration 0005.
            models.Index(fields=["last_visit_on"], name="customer_last_visit_idx"),
            # Partial indexes where most customers have nothing to index (normal importance, no lost
            # contact, no referrer, not merged): every filter asks for the few, and every insert skips them.
            models.Index(fields=["importance"], condition=~Q(importance="normal"), name="customer_importance_idx"),
            models.Index(fields=["lost_contact_since"], condition=Q(lost_contact_since__isnull=False),
                         name="customer_lost_contact_idx"),
            models.Index(fields=["referred_by"], condition=Q(referred_by__isnull=False), name="customer_referred_by_idx"),
            models.Index(fields=["merged_into"], condition=Q(merged_into__isnull=False), name="customer_merged_into_idx"),
            models.Index(fields=["-id"], condition=Q(needs_review=True), name="customer_needs_review_idx"),
            # The birthdays of a day (events.birthdays): month and day of the birthday, whatever the
            # year, for the customers whose birthday is known.
            models.Index(ExtractMonth("birthday"), ExtractDay("birthday"), condition=Q(birthday__isnull=False),
                         name="customer_birthday_md_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def derive_search_keys(self) -> None:
        self.name_pinyin, self.name_initials = name_pinyin(self.name)
        self.name_pinyin_given_initials, self.name_pinyin_surname_initial = name_pinyin_mixed(self.name)
        self.mobile_rev = self.mobile[::-1]
        self.phone2_rev = self.phone2[::-1]

    def save(self, *args, **kwargs):
        self.derive_search_keys()
        super().save(*args, **kwargs)

    @property
    def phones(self) -> list[str]:
        return [number for number in (self.mobile, self.phone2) if number]

    @property
    def is_lost_contact(self) -> bool:
        return self.lost_contact_since is not None


class ContactPreference(models.Model):
    """What the customer said about being contacted: per channel and purpose, with why and when."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        SMS = "sms", _("SMS")
        LETTER = "letter", _("Letter")
        WECHAT = "wechat", _("WeChat")
        HOME_VISIT = "visit", _("Home visit")
        ANY = "any", _("Any channel")

    class Purpose(models.TextChoices):
        ALL = "all", _("Any purpose")
        SERVICE = "service", _("Callbacks and service reminders")
        MARKETING = "marketing", _("Marketing and events")
        CARE = "care", _("Greetings and care")
        NOTICE = "notice", _("Store notices")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="contact_preferences")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    allowed = models.BooleanField(_("allowed"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_on = models.DateField(_("recorded on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")
        ordering = ["channel", "purpose"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel", "purpose"], name="one_preference_per_channel_purpose",
                                    violation_error_message=_("This preference is already recorded.")),
        ]
        indexes = [models.Index(fields=["purpose", "allowed"], name="contactpref_purpose_idx")]

    def __str__(self) -> str:
        verdict = _("allowed") if self.allowed else _("refused")
        return f"{self.get_channel_display()} · {self.get_purpose_display()}: {verdict}"


class FamilyMember(models.Model):
    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="family")
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["relation", "birthday", "id"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="family_member_name_required")]
        indexes = [
            # The birthdays of a day (events.birthdays: the children's greetings and gifts).
            models.Index(ExtractMonth("birthday"), ExtractDay("birthday"), condition=Q(birthday__isnull=False),
                         name="family_birthday_md_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"


class Vehicle(models.Model):
    class Brand(models.TextChoices):
        RENAULT = "renault", _("Renault")
        MITSUBISHI = "mitsubishi", _("Mitsubishi")
        OTHER = "other", _("Other brand")

    vin = models.CharField(_("VIN"), max_length=17, unique=True, validators=[validate_vin],
                           error_messages={"unique": _("Another vehicle in the archive has this VIN.")})
    plate = models.CharField(_("plate"), max_length=9, blank=True, validators=[validate_plate])
    brand = models.CharField(_("brand"), max_length=12, choices=Brand.choices)
    model_name = models.CharField(_("model"), max_length=50)
    colour = models.CharField(_("colour"), max_length=20, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    sales_consultant = models.CharField(_("sales consultant"), max_length=30, blank=True)
    invoice_amount = models.DecimalField(_("invoice amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    # Search keys, derived from plate and VIN.
    plate_key = models.CharField(max_length=8, blank=True, editable=False)
    vin_rev = models.CharField(max_length=17, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["plate_key", "vin_rev"], no_db_index=["vin"])

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["-delivery_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(vin__regex=r"^[A-HJ-NPR-Z0-9]{17}$"), name="vehicle_vin_format"),
            models.CheckConstraint(condition=Q(invoice_amount__isnull=True) | Q(invoice_amount__gte=0),
                                   name="vehicle_invoice_amount_not_negative"),
        ]
        indexes = [
            _pattern_index("plate", "vehicle_plate_idx"),
            _pattern_index("plate_key", "vehicle_plate_key_idx"),
            _pattern_index("vin_rev", "vehicle_vin_rev_idx"),
            models.Index(fields=["model_name"], name="vehicle_model_idx"),
            models.Index(fields=["delivery_date"], name="vehicle_delivery_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.plate or self.vin} {self.model_name}"

    def derive_search_keys(self) -> None:
        self.plate_key = plate_search_key(self.plate)
        self.vin_rev = self.vin[::-1]

    def save(self, *args, **kwargs):
        self.derive_search_keys()
        super().save(*args, **kwargs)


class VehicleRole(models.Model):
    """A customer's role for a vehicle over a period: owner (车主) or driver (驾驶员)."""

    class Kind(models.TextChoices):
        OWNER = "owner", _("Owner")
        DRIVER = "driver", _("Driver")

    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE, related_name="roles")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="vehicle_roles", db_index=False)  # vehiclerole_customer_idx leads with it
    kind = models.CharField(_("role"), max_length=6, choices=Kind.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vehicle role")
        verbose_name_plural = _("vehicle roles")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["vehicle"], condition=Q(kind="owner", ended_on__isnull=True),
                                    name="one_current_owner_per_vehicle",
                                    violation_error_message=_("This vehicle already has a current owner.")),
            models.UniqueConstraint(fields=["vehicle", "customer", "kind"], condition=Q(ended_on__isnull=True),
                                    name="one_current_role_per_customer_and_vehicle",
                                    violation_error_message=_("The customer already has this role for the vehicle.")),
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                                   name="vehicle_role_ends_after_it_starts",
                                   violation_error_message=_("A role cannot end before it starts.")),
        ]
        indexes = [models.Index(fields=["customer", "ended_on"], name="vehiclerole_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_kind_display()} · {self.vehicle}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class DeliveryFile(models.Model):
    """The delivery file (交车档案): the seven documents kept per delivery, and the handbook check."""

    DOCUMENTS = ("invoice_copy", "certificate_copy", "id_copy", "insurance_policy", "purchase_tax",
                 "registration_copy", "delivery_confirmation")

    vehicle = models.OneToOneField(Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE,
                                   related_name="delivery_file")
    invoice_copy = models.BooleanField(_("purchase invoice copy"), default=False)
    certificate_copy = models.BooleanField(_("certificate of conformity copy"), default=False)
    id_copy = models.BooleanField(_("owner's ID copy"), default=False)
    insurance_policy = models.BooleanField(_("insurance policy copy"), default=False)
    purchase_tax = models.BooleanField(_("purchase tax certificate"), default=False)
    registration_copy = models.BooleanField(_("registration certificate copy"), default=False)
    delivery_confirmation = models.BooleanField(_("signed delivery confirmation"), default=False)
    handbook_checked_on = models.DateField(_("maintenance handbook checked on"), null=True, blank=True)
    handbook_note = models.CharField(_("handbook check note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("delivery file")
        verbose_name_plural = _("delivery files")

    def __str__(self) -> str:
        return f"{self.vehicle} {self.documents_present}/{len(self.DOCUMENTS)}"

    @property
    def documents_present(self) -> int:
        return sum(bool(getattr(self, name)) for name in self.DOCUMENTS)

    @property
    def is_complete(self) -> bool:
        return self.documents_present == len(self.DOCUMENTS) and self.handbook_checked_on is not None


class ServiceVisit(models.Model):
    """A repair order (维修工单) from the DMS."""

    class Kind(models.TextChoices):
        FIRST_MAINTENANCE = "first", _("First maintenance")
        SCHEDULED = "scheduled", _("Scheduled maintenance")
        REPAIR = "repair", _("Repair")
        BODYWORK = "bodywork", _("Bodywork and paint")
        WARRANTY = "warranty", _("Warranty")
        ACCIDENT = "accident", _("Accident")
        # The store's own work on its cars (内部单): no customer to call back.
        INTERNAL = "internal", _("Internal order")

    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), on_delete=models.PROTECT, related_name="visits")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="service_visits")
    ro_number = models.CharField(_("RO number"), max_length=30, unique=True,
                                 error_messages={"unique": _("A service visit with this RO number exists.")})
    opened_on = models.DateField(_("arrived on"))
    closed_on = models.DateField(_("finished on"), null=True, blank=True)
    mileage = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    advisor = models.CharField(_("service advisor"), max_length=30, blank=True)
    sender_name = models.CharField(_("brought in by"), max_length=50, blank=True)
    labour_amount = models.DecimalField(_("labour"), max_digits=10, decimal_places=2, default=0)
    parts_amount = models.DecimalField(_("parts"), max_digits=10, decimal_places=2, default=0)
    total_amount = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("service visit")
        verbose_name_plural = _("service visits")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(labour_amount__gte=0) & Q(parts_amount__gte=0) & Q(total_amount__gte=0),
                                   name="service_visit_amounts_not_negative"),
            models.CheckConstraint(condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                                   name="service_visit_closes_after_it_opens",
                                   violation_error_message=_("The finish date is before the arrival date.")),
        ]
        indexes = [
            models.Index(fields=["vehicle", "-opened_on"], name="visit_vehicle_idx"),
            models.Index(fields=["customer", "-opened_on"], name="visit_customer_idx"),
            models.Index(fields=["opened_on"], name="visit_opened_idx"),
            # The CSI build reads the repair orders of a type closed on a few days, from the index
            # alone once the table is vacuumed: orders of one day are spread all over the table.
            models.Index(fields=["closed_on", "kind"], include=["id", "customer", "vehicle"],
                         name="visit_closed_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ro_number} {self.get_kind_display()}"


class TimelineEntry(models.Model):
    """One contact with the customer, on the customer's single timeline.

    Every feature that talks to a customer adds its entries through `timeline_add` (services),
    pointing back to its own record with `source`; the customer page only reads this table.
    """

    class Kind(models.TextChoices):
        SERVICE_VISIT = "visit", _("Service visit")
        CALL = "call", _("Call")
        SMS = "sms", _("SMS")
        INTERVIEW = "interview", _("Interview")
        LOUNGE = "lounge", _("Lounge")
        COMPLAINT = "complaint", _("Complaint")
        GIFT = "gift", _("Gift")
        EVENT = "event", _("Event")
        NOTE = "note", _("Note")
        OWNERSHIP = "ownership", _("Owner change")
        MERGE = "merge", _("Merge")
        CALLBACK = "callback", _("Callback")
        PROBLEM = "problem", _("Problem")
        REMINDER = "reminder", _("Reminder")
        APPOINTMENT = "appointment", _("Appointment")
        LEAD = "lead", _("Sales lead")
        POINTS = "points", _("Points")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="timeline")
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    occurred_at = models.DateTimeField(_("when"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # The message's parameters (codes, numbers, names): `customers.timeline` formats the entry from
    # its kind and these in the reader's language. Entries stored before them keep their text below.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("detail"), blank=True)
    source_type = models.ForeignKey(ContentType, verbose_name=_("source type"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    source_id = models.CharField(_("source record"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_at", "-id"], name="timeline_customer_idx")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.text.title}"

    @cached_property
    def text(self) -> EntryText:
        """Title and detail in the active language."""
        return entry_text(kind=self.kind, params=self.params, title=self.title, body=self.body)


class DuplicateCandidate(models.Model):
    """Two customers who are probably the same person, found by the daily duplicate scan."""

    class Reason(models.TextChoices):
        SAME_MOBILE = "same_mobile", _("Same mobile number")
        SAME_VEHICLE = "same_vehicle", _("Same vehicle, same name")
        SIMILAR = "similar", _("Same name, similar phone")

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not a duplicate")

    first = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Customer, verbose_name=_("other customer"), on_delete=models.CASCADE,
                               related_name="+")
    reason = models.CharField(_("reason"), max_length=15, choices=Reason.choices)
    found_on = models.DateField(_("found on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["status", "-found_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="one_candidate_per_pair"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="candidate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-found_on"], name="candidate_status_idx")]

    def __str__(self) -> str:
        return f"{self.first} / {self.second} ({self.get_reason_display()})"


class CustomerMerge(models.Model):
    """The trace of a merge: who merged which customer into which, and what the merged one held."""

    survivor = models.ForeignKey(Customer, verbose_name=_("kept customer"), on_delete=models.PROTECT,
                                 related_name="merges")
    merged = models.OneToOneField(Customer, verbose_name=_("merged customer"), on_delete=models.PROTECT,
                                  related_name="merged_record")
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("merged by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    snapshot = models.JSONField(_("merged customer's data"), default=dict)
    moved = models.JSONField(_("records moved"), default=dict)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"

    MOVED_LABELS = {"vehicle_roles": _("vehicle roles"), "family": _("family members"),
                    "contact_preferences": _("contact preferences"), "timeline": _("contacts"),
                    "service_visits": _("service visits"), "referrals": _("referrals"),
                    "earlier_merges": _("earlier merges"), "sms_messages": _("SMS messages")}

    @property
    def moved_display(self) -> list[tuple[str, int]]:
        return [(str(self.MOVED_LABELS.get(key, key)), count) for key, count in self.moved.items() if count]
