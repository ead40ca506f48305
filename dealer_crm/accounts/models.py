from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .roles import Role

MOBILE_REGEX = r"^1[3-9][0-9]{9}$"
validate_mobile = RegexValidator(MOBILE_REGEX, _("A mobile number has 11 digits and starts with 13 to 19."))


class User(AbstractUser):
    """A member of staff. Roles are Django groups named by `Role` values."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile],
                              help_text=_("Alerts of one's work (a complaint's escalation) go here by SMS."))

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(condition=Q(mobile="") | Q(mobile__regex=MOBILE_REGEX), name="user_mobile_format"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def roles(self) -> list[Role]:
        """The user's roles, in the order of `Role`; cached per instance (one query)."""
        if not hasattr(self, "_roles_cache"):
            names = set(self.groups.values_list("name", flat=True))
            self._roles_cache = [role for role in Role if role.value in names]
        return self._roles_cache

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def primary_role(self) -> Role | None:
        """The role whose home page the user lands on: the first in `Role` order."""
        return self.roles[0] if self.roles else None
