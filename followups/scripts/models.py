"""Callback scripts (回访话术): what the agent reads, question by question, and what counts as a
dissatisfied answer.

A script is one questionnaire per brand and kind (the manufacturer's Renault SSI, the store's
Mitsubishi CSI). Its text lives in versions: the DCRC supervisor edits a draft and publishes it,
and the published version is what new calls use. A version once published is never changed, so an
answer always shows the questions exactly as they were asked.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Vehicle


class ScriptKind(models.TextChoices):
    THANK_YOU = "thank_you", _("Thank-you call")
    SSI = "ssi", _("SSI (sales satisfaction)")
    CSI = "csi", _("CSI (service satisfaction)")
    FIRST_MAINTENANCE = "first_maint", _("First maintenance")
    SECOND = "second", _("Second callback")
    REMINDER = "reminder", _("Maintenance reminder")
    WIN_BACK = "win_back", _("Win-back")
    BIRTHDAY = "birthday", _("Birthday greeting")
    INVITATION = "invitation", _("Event invitation")
    CUSTOM = "custom", _("Custom")


class Factor(models.TextChoices):
    """The study factors manufacturers' scripts group their questions by (J.D. Power China SSI and
    CSI), so reports can show each factor and not only the total."""

    # SSI
    DELIVERY = "delivery", _("Delivery process")
    SALES_INITIATION = "sales_init", _("Sales initiation")
    DEAL = "deal", _("The deal (price and paperwork)")
    DEALER_FACILITY = "dealer_facility", _("Dealer facility")
    SALESPERSON = "salesperson", _("Salesperson")
    # CSI
    SERVICE_QUALITY = "service_quality", _("Service quality")
    SERVICE_FACILITY = "service_facility", _("Service facility")
    PICK_UP = "pick_up", _("Vehicle pick-up")
    SERVICE_ADVISOR = "advisor", _("Service advisor")
    SERVICE_INITIATION = "service_init", _("Service initiation (booking and reception)")
    # Both
    OVERALL = "overall", _("Overall")
    OTHER = "other", pgettext_lazy("factor", "Other")


class Script(models.Model):
    """One questionnaire: its brand (blank: every brand) and kind. The questions are in its versions."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name = models.CharField(pgettext_lazy("script", "name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=ScriptKind.choices)
    brand = models.CharField(_("brand"), max_length=12, blank=True, choices=Vehicle.Brand.choices,
                             help_text=_("Leave empty for a script used for every brand."))
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("callback script")
        verbose_name_plural = _("callback scripts")
        ordering = ["kind", "brand", "name"]
        constraints = [
            # The queue picks the script of a callback by its kind and the vehicle's brand.
            models.UniqueConstraint(fields=["kind", "brand"], condition=Q(active=True),
                                    name="script_one_active_per_kind_and_brand",
                                    violation_error_message=_("Another script in use has this kind and brand.")),
        ]

    def __str__(self) -> str:
        return self.name


class ScriptVersion(models.Model):
    """One version of a script's text. Drafts are edited; a published version is frozen."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Replaced")

    script = models.ForeignKey(Script, verbose_name=_("script"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    opening = models.TextField(_("opening words"), blank=True,
                               help_text=_("What the agent says first. Variables: {name} {title} {plate} {model} {store} {agent}."))
    closing = models.TextField(_("closing words"), blank=True)
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("script version")
        verbose_name_plural = _("script versions")
        ordering = ["script", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["script", "number"], name="script_version_number_unique"),
            models.UniqueConstraint(fields=["script"], condition=Q(status="published"),
                                    name="script_one_published_version"),
            models.UniqueConstraint(fields=["script"], condition=Q(status="draft"), name="script_one_draft"),
        ]

    def __str__(self) -> str:
        return f"{self.script} v{self.number}"


class Question(models.Model):
    """One item of a version, in the order the agent asks it."""

    class Kind(models.TextChoices):
        SCORE = "score", _("Score 0–10")
        YES_NO = "yes_no", _("Yes or no")
        CHOICE = "choice", _("Choice")
        TEXT = "text", pgettext_lazy("answer type", "Text")

    version = models.ForeignKey(ScriptVersion, verbose_name=_("script version"), on_delete=models.CASCADE,
                                related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    factor = models.CharField(_("factor"), max_length=16, choices=Factor.choices, default=Factor.OVERALL)
    text = models.TextField(_("question"))
    kind = models.CharField(_("answer type"), max_length=8, choices=Kind.choices)
    # For a choice: the options in order, e.g. ["满意", "一般", "不满意"].
    choices = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    # A score below this counts as dissatisfied (0–10; 7 means 0–6 are dissatisfied).
    dissatisfied_below = models.PositiveSmallIntegerField(
        _("dissatisfied below"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)])
    # For yes/no and choices: the answers that count as dissatisfied (["no"], ["不满意"]).
    dissatisfied_answers = models.JSONField(_("dissatisfied answers"), default=list, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="question_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text[:40]}"
