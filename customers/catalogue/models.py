"""The store's catalogue of vehicle models (车型目录).

A vehicle keeps its brand and its model as text (`Vehicle.brand`, `Vehicle.model_name`); the
catalogue says which texts are which model of which brand, so a file or a form that names only
the model gets the brand, and every spelling of a model becomes the catalogue's one. It also holds
each model's maintenance intervals, which the reminders read (`selectors.vehicle_model_for`).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..models import Vehicle
from .spellings import join_aliases, spelling_key, split_aliases, tidy_name

ALIAS_MAX_LENGTH = 50  # as long as a vehicle's model name
# No model is written so; a spreadsheet would run such a cell of the catalogue's export as a formula.
FORMULA_STARTS = ("=", "+", "-", "@")
FORMULA_MESSAGE = _("A spelling cannot begin with =, +, - or @.")


@dataclass(frozen=True)
class MaintenanceInterval:
    """Maintenance is due after `km` kilometres or `months` months, whichever comes first."""

    km: int
    months: int


class VehicleModel(models.Model):
    brand = models.CharField(_("brand"), max_length=12, choices=Vehicle.Brand.choices)
    name = models.CharField(_("model"), max_length=50,
                            help_text=_("The spelling vehicles are stored with, e.g. 科雷傲."))
    aliases = models.TextField(
        _("other spellings"), blank=True,
        help_text=_("Other ways files and staff write this model (KOLEOS, 科雷傲Koleos…), separated by 、 or "
                    "commas. Case, width, spaces and punctuation are ignored when matching."))
    first_maintenance_km = models.PositiveIntegerField(_("first maintenance at (km)"), validators=[MinValueValidator(1)])
    first_maintenance_months = models.PositiveSmallIntegerField(_("first maintenance at (months)"),
                                                                validators=[MinValueValidator(1)])
    interval_km = models.PositiveIntegerField(_("then every (km)"), validators=[MinValueValidator(1)])
    interval_months = models.PositiveSmallIntegerField(_("then every (months)"), validators=[MinValueValidator(1)])
    active = models.BooleanField(_("in use"), default=True,
                                 help_text=_("A model not in use is not matched to vehicles."))
    name_key = models.CharField(max_length=100, editable=False)  # spelling_key(name), for matching

    class Meta:
        verbose_name = _("vehicle model")
        verbose_name_plural = _("vehicle models")
        ordering = ["brand", "name"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "name"], name="vehicle_model_unique_name_per_brand",
                                    violation_error_message=_("This brand already has a model of this name.")),
            # 科雷傲 and 科 雷傲 are one model: the key is unique per brand too.
            models.UniqueConstraint(fields=["brand", "name_key"], name="vehicle_model_unique_key_per_brand"),
            models.CheckConstraint(condition=Q(first_maintenance_km__gt=0, first_maintenance_months__gt=0,
                                               interval_km__gt=0, interval_months__gt=0),
                                   name="vehicle_model_intervals_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_brand_display()} {self.name}"

    @property
    def first_maintenance(self) -> MaintenanceInterval:
        """When the first maintenance (首保) is due, counted from delivery."""
        return MaintenanceInterval(km=self.first_maintenance_km, months=self.first_maintenance_months)

    @property
    def maintenance_interval(self) -> MaintenanceInterval:
        """When each later maintenance (定保) is due, counted from the previous one."""
        return MaintenanceInterval(km=self.interval_km, months=self.interval_months)

    def alias_list(self) -> list[str]:
        """The aliases, without any that is only another spelling of the name."""
        return [alias for alias in split_aliases(self.aliases) if spelling_key(alias) != self.name_key]

    def derive_keys(self) -> None:
        self.name = tidy_name(self.name)
        self.name_key = spelling_key(self.name)
        self.aliases = join_aliases(self.alias_list())

    def save(self, *args, **kwargs):
        self.derive_keys()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """A spelling names one model: an alias is no other model's name or alias, and a name is no
        other model's alias nor, within the brand, another model's name written differently. (The same
        name under two brands is allowed: a vehicle of no stated brand then stays for a person.)"""
        self.derive_keys()
        if not self.name_key:
            raise ValidationError({"name": _("A model name needs letters or characters.")})
        aliases = self.alias_list()
        if self.name.startswith(FORMULA_STARTS):
            raise ValidationError({"name": FORMULA_MESSAGE})
        errors = [FORMULA_MESSAGE] if any(alias.startswith(FORMULA_STARTS) for alias in aliases) else []
        too_long = [alias for alias in aliases if len(alias) > ALIAS_MAX_LENGTH]
        if too_long:
            errors.append(_("A spelling has at most %(count)s characters: %(aliases)s.")
                          % {"count": ALIAS_MAX_LENGTH, "aliases": "、".join(too_long)})
        keys = {spelling_key(alias): alias for alias in aliases}
        others = VehicleModel.objects.exclude(pk=self.pk) if self.pk else VehicleModel.objects.all()
        for other in others.filter(name_key__in=list(keys)):
            errors.append(_("“%(alias)s” is the name of %(model)s.") % {"alias": keys[other.name_key], "model": other})
        taken = (VehicleModelAlias.objects.filter(key__in=[*keys, self.name_key])
                 .exclude(vehicle_model_id=self.pk).select_related("vehicle_model"))
        for alias in taken:
            if alias.key == self.name_key:
                raise ValidationError({"name": _("This name is already a spelling of %(model)s.")
                                               % {"model": alias.vehicle_model}})
            errors.append(_("“%(alias)s” is already a spelling of %(model)s.")
                          % {"alias": keys[alias.key], "model": alias.vehicle_model})
        if self.brand and others.filter(brand=self.brand, name_key=self.name_key).exclude(name=self.name).exists():
            raise ValidationError({"name": _("This brand already has this model, written differently.")})
        if errors:
            raise ValidationError({"aliases": errors})


class VehicleModelAlias(models.Model):
    """One spelling key of a model's aliases: the database refuses a spelling claimed by two models.
    Written only by `services.vehicle_model_save`, from the model's `aliases`."""

    vehicle_model = models.ForeignKey(VehicleModel, verbose_name=_("vehicle model"), on_delete=models.CASCADE,
                                      related_name="alias_keys")
    key = models.CharField(_("spelling key"), max_length=100, unique=True,
                           error_messages={"unique": _("Another model already has this spelling.")})

    class Meta:
        verbose_name = _("spelling of a vehicle model")
        verbose_name_plural = _("spellings of vehicle models")

    def __str__(self) -> str:
        return self.key
