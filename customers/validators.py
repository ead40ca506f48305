"""Field validators: the same rules as normalize.py, for values that reach a model already cleaned."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from .normalize import LANDLINE_RE, MOBILE_RE, normalize_plate, normalize_vin

validate_mobile = RegexValidator(MOBILE_RE, _("A mobile number has 11 digits and starts with 13 to 19."))


def validate_phone(value: str) -> None:
    if value and not (MOBILE_RE.match(value) or LANDLINE_RE.match(value)):
        raise ValidationError(_("Enter a mobile number or a landline with its area code."), code="phone")


def validate_vin(value: str) -> None:
    try:
        if normalize_vin(value) != value:
            raise ValueError(_("Write the VIN in capitals without spaces."))
    except ValueError as error:
        raise ValidationError(str(error), code="vin") from error


def validate_plate(value: str) -> None:
    try:
        if value and normalize_plate(value) != value:
            raise ValueError(_("Write the plate without spaces or dots, e.g. 皖C12345."))
    except ValueError as error:
        raise ValidationError(str(error), code="plate") from error
