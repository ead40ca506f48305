from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class User(AbstractUser):
    """A member of staff. Roles are Django groups named by `Role` values."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["username"]

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
