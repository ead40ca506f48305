"""The SMS platform's records: templates, bulk sends, the outbox, receipts and replies.

The outbox holds one row per recipient and message. Its idempotency key is unique in the
database: a retried task, a killed worker, a scheduler firing twice or a double click finds the row
already there and makes no second one. A row is claimed (status SENDING) by a conditional update
before the gateway is called, and our own row id goes to the gateway as its out-id, so receipts
find the row whatever the gateway calls the message.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from . import reasons


class Purpose(models.TextChoices):
    """Why a message is sent. The customer's contact preferences are per purpose; only marketing
    texts carry the opt-out line and count against the weekly cap."""

    SERVICE = "service", _("Service (reminders, appointments)")
    CARE = "care", _("Care (greetings)")
    MARKETING = "marketing", _("Marketing (events, promotions)")
    NOTICE = "notice", _("Store notice")


class SmsTemplate(models.Model):
    """A text with variables ({name}, {title}, {plate}, …), and the ids the gateways approved it under.

    Chinese gateways send only templates approved in advance: Aliyun by its template code with named
    parameters (${name}), Tencent by a numeric id with positional ones ({1}, {2}: `tencent_params`
    names the variables in that order). The store's signature 【店名】 is the gateway's and is never
    typed into the text; the opt-out line is added to marketing texts when they are sent.
    """

    key = models.SlugField(_("key"), max_length=50, unique=True,
                           help_text=_("A short name for scripts and other features, e.g. first_maintenance."))
    name = models.CharField(pgettext_lazy("sms template", "name"), max_length=100)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    text = models.TextField(_("text"), help_text=_("Variables in braces: {name} {title} {plate} {model} {date} {store} {advisor}."))
    aliyun_code = models.CharField(_("Aliyun template code"), max_length=30, blank=True,
                                   validators=[RegexValidator(r"^SMS_\d+$", _("An Aliyun template code looks like SMS_123456789."))])
    tencent_id = models.CharField(_("Tencent template ID"), max_length=20, blank=True,
                                  validators=[RegexValidator(r"^\d+$", _("A Tencent template ID is a number."))])
    tencent_params = models.CharField(
        _("Tencent parameter order"), max_length=200, blank=True,
        help_text=_("The variables of {1}, {2}, … in order, separated by commas, e.g. name,plate,date."))
    quiet_hours_exempt = models.BooleanField(
        _("may be sent in quiet hours"), default=False,
        help_text=_("Only for what the customer is waiting for now, e.g. the confirmation of an appointment just booked."))
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")
        ordering = ["purpose", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="smstemplate_text_required",
                                   violation_error_message=_("Write the template's text.")),
        ]

    def __str__(self) -> str:
        return self.name


class BulkSend(models.Model):
    """One text to many customers: who chose them (a customer-list filter or an uploaded list), how
    many were left out and why, who confirmed and who approved it."""

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "approval", _("Awaiting approval")
        QUEUED = "queued", _("Sending")
        DONE = "done", pgettext_lazy("bulk send", "Finished")
        REJECTED = "rejected", _("Not approved")
        CANCELLED = "cancelled", _("Cancelled")

    template = models.ForeignKey(SmsTemplate, verbose_name=_("template"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="bulk_sends")
    text = models.TextField(_("text"), blank=True, help_text=_("Free text, on gateways that send it (no template)."))
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    variables = models.JSONField(_("variables"), default=dict, blank=True,
                                 help_text=_("Values the same for every recipient, e.g. the event's date."))
    filter_query = models.TextField(_("customer filter"), blank=True)
    upload_name = models.CharField(_("uploaded list"), max_length=200, blank=True)
    upload_mobiles = models.JSONField(_("uploaded mobiles"), default=list, blank=True, editable=False)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    excluded = models.JSONField(_("excluded"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(pgettext_lazy("sms", "created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT,
                                   related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk send")
        verbose_name_plural = _("bulk sends")
        ordering = ["-id"]
        permissions = [
            ("send_marketing", _("Can send marketing messages without approval")),
            ("approve_bulksend", _("Can approve bulk sends")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.template or self.text[:20]}"


class OutboundMessage(models.Model):
    """One message to one customer (the outbox)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", pgettext_lazy("sms status", "Delivered")
        FAILED = "failed", _("Failed")
        # The gateway may or may not have it (a timeout, a worker killed during the call): never sent
        # again blindly; a receipt settles it, or a person decides after SMS_UNKNOWN_AFTER.
        UNKNOWN = "unknown", _("Unknown")
        CANCELLED = "cancelled", _("Not sent")

    SETTLED = (Status.SENT, Status.DELIVERED, Status.FAILED, Status.UNKNOWN, Status.CANCELLED)

    customer = models.ForeignKey(settings.MESSAGING_RECIPIENT_MODEL, verbose_name=_("customer"),
                                 on_delete=models.PROTECT, related_name="sms_messages", db_index=False)
    phone = models.CharField(_("mobile"), max_length=11)
    text = models.TextField(_("text"), help_text=_("As sent, without the signature the gateway adds."))
    template = models.ForeignKey(SmsTemplate, verbose_name=_("template"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    bulk = models.ForeignKey(BulkSend, verbose_name=_("bulk send"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="messages", db_index=False)
    source_type = models.ForeignKey(ContentType, verbose_name=_("source type"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    source_id = models.CharField(_("source record"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    quiet_hours_exempt = models.BooleanField(_("may be sent in quiet hours"), default=False)
    not_before = models.DateTimeField(_("not before"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # The sender that holds the row while it sends: only it records the gateway's answer.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    gateway = models.CharField(_("gateway"), max_length=20, blank=True)
    gateway_ref = models.CharField(_("gateway's message id"), max_length=100, blank=True)
    # Why it failed, waits again or is in doubt: a code of `reasons`, shown in the reader's language,
    # and its detail — the gateway's own words verbatim, or an HTTP status, an error's class, a name.
    reason_code = models.CharField(_("reason code"), max_length=30, blank=True)
    reason = models.CharField(_("reason detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(pgettext_lazy("sms", "created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    settled_at = models.DateTimeField(_("delivered or failed"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        ordering = ["-id"]
        indexes = [
            # The dispatcher's pick: only the waiting rows, in the order they are due.
            models.Index(fields=["not_before", "id"], condition=Q(status="queued"), name="sms_due_idx"),
            # Rows the gateway may have: stale claims and unknowns, for the sweep and the list.
            models.Index(fields=["claimed_at"], condition=Q(status__in=["sending", "unknown"]), name="sms_in_doubt_idx"),
            models.Index(fields=["customer", "-created_at"], name="sms_customer_idx"),
            models.Index(fields=["bulk", "status"], condition=Q(bulk__isnull=False), name="sms_bulk_status_idx"),
            models.Index(fields=["purpose", "created_at"], name="sms_purpose_created_idx"),
            models.Index(fields=["phone", "created_at"], name="sms_phone_created_idx"),
            models.Index(fields=["-created_at"], name="sms_created_idx"),
            models.Index(fields=["claim"], condition=Q(claim__isnull=False), name="sms_claim_idx"),
            # Tencent's receipts name the message by its SerialNo only.
            models.Index(fields=["gateway", "gateway_ref"], condition=~Q(gateway_ref=""), name="sms_gateway_ref_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(phone=""), name="sms_phone_required"),
            models.CheckConstraint(condition=~Q(text=""), name="sms_text_required"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.phone}"

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language (the gateway's own words as it wrote them)."""
        return reasons.reason_text(self.reason_code, self.reason, attempts=self.attempts)


class DeliveryReceipt(models.Model):
    """What the gateway reported for a message. Gateways retry and duplicate their pushes: one row
    per message and outcome, whatever arrives twice."""

    message = models.ForeignKey(OutboundMessage, verbose_name=_("message"), on_delete=models.CASCADE,
                                related_name="receipts")
    delivered = models.BooleanField(_("delivered"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    gateway = models.CharField(_("gateway"), max_length=20)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery receipt")
        verbose_name_plural = _("delivery receipts")
        constraints = [
            models.UniqueConstraint(fields=["message", "delivered"], name="one_receipt_per_message_outcome"),
        ]


class InboundReply(models.Model):
    """A text a customer sent back. An opt-out word (T, TD, R, 退订, STOP, …) stops marketing at once."""

    phone = models.CharField(_("mobile"), max_length=20)
    text = models.CharField(_("text"), max_length=500)
    gateway = models.CharField(_("gateway"), max_length=20)
    # The gateway's own id of the reply where it has one: a repeated push is stored once.
    gateway_ref = models.CharField(_("gateway's id"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    opt_out = models.BooleanField(_("opt-out"), default=False)
    customers = models.PositiveIntegerField(_("customers with this number"), default=0)

    class Meta:
        verbose_name = _("SMS reply")
        verbose_name_plural = _("SMS replies")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "gateway_ref"], condition=~Q(gateway_ref=""),
                                    name="one_reply_per_gateway_ref"),
        ]
        indexes = [models.Index(fields=["phone", "-received_at"], name="smsreply_phone_idx")]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:30]}"


class StaffAlert(models.Model):
    """A text to a member of staff (a complaint's escalation to the manager on duty), not to a
    customer: no preferences, no quiet hours (the caller picks the hour: the escalations wait for
    the store's opening), no marketing line. Kept apart from the outbox, whose rows are a customer's
    and whose ids the gateways echo in their receipts: a staff alert goes out under its id negated,
    so that no receipt can be taken for a customer's message. Its idempotency key is unique in the
    database: a second worker or a retried job finds the row and sends nothing twice."""

    Status = OutboundMessage.Status

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff member"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="sms_alerts")
    phone = models.CharField(_("mobile"), max_length=11)
    text = models.TextField(_("text"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=OutboundMessage.Status.choices,
                              default=OutboundMessage.Status.QUEUED)
    not_before = models.DateTimeField(_("not before"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    gateway = models.CharField(_("gateway"), max_length=20, blank=True)
    gateway_ref = models.CharField(_("gateway's message id"), max_length=100, blank=True)
    reason_code = models.CharField(_("reason code"), max_length=30, blank=True)
    reason = models.CharField(_("reason detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(pgettext_lazy("sms", "created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff SMS alert")
        verbose_name_plural = _("staff SMS alerts")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["not_before", "id"], condition=Q(status="queued"), name="staff_alert_due_idx"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="staff_alert_sending_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(phone=""), name="staff_alert_phone_required"),
            models.CheckConstraint(condition=~Q(text=""), name="staff_alert_text_required"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.phone}"

    @property
    def reason_text(self) -> str:
        return reasons.reason_text(self.reason_code, self.reason, attempts=self.attempts)
