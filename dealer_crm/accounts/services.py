"""State changes of staff accounts."""

from django.contrib.auth.models import Group
from django.db import transaction

from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

from .models import User
from .roles import Role


@transaction.atomic
def user_set_roles(*, user: User, roles: set[Role], by: User | None) -> User:
    """Give `user` exactly `roles`, and record the change in the audit log when there is one."""
    before = {role.value for role in user.roles}
    after = {Role(role).value for role in roles}
    if before == after:
        return user
    groups = Group.objects.filter(name__in=after)
    user.groups.set(groups)
    user.__dict__.pop("_roles_cache", None)
    audit_record(
        actor=by,
        action=AuditEvent.Action.ROLE_CHANGE,
        target=user,
        detail={"added": sorted(after - before), "removed": sorted(before - after)},
    )
    return user


ACCESS_FLAGS = ("is_active", "is_staff", "is_superuser")


def user_access_changes_record(*, user: User, before: dict[str, bool] | None, by: User | None) -> None:
    """Record changes of the account's access flags (active, admin site, superuser) in the audit log."""
    if before is None:
        return
    changed = {flag: getattr(user, flag) for flag in ACCESS_FLAGS if before[flag] != getattr(user, flag)}
    if changed:
        audit_record(actor=by, action=AuditEvent.Action.ROLE_CHANGE, target=user, detail={"access": changed})
