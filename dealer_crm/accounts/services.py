"""State changes of staff accounts."""

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

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
    ended = user_sessions_end(user=user) if by is not None and by.pk != user.pk else 0
    audit_record(
        actor=by,
        action=AuditEvent.Action.ROLE_CHANGE,
        target=user,
        detail={"added": sorted(after - before), "removed": sorted(before - after)}
        | ({"sessions_ended": ended} if ended else {}),
    )
    return user


def user_sessions_end(*, user: User) -> int:
    """Sign the user out everywhere: after someone else changed their roles, access or password,
    no browser keeps working with what they had. Returns how many sessions ended.

    Sessions live in the database and expire after SESSION_IDLE_MINUTES, so the unexpired ones are
    few (a store's staff) and are read one by one."""
    mine = [session.pk for session in Session.objects.filter(expire_date__gt=timezone.now())
            if session.get_decoded().get(SESSION_KEY) == str(user.pk)]
    Session.objects.filter(pk__in=mine).delete()
    return len(mine)


def user_password_reset_record(*, user: User, by: User) -> None:
    """Someone set (or disabled) another member's password in the admin: that member's sessions
    end, and the audit log keeps who did it, to whom, when and from where."""
    if by.pk == user.pk:
        return  # one's own password: Django keeps this session and ends the others itself
    ended = user_sessions_end(user=user)
    audit_record(actor=by, action=AuditEvent.Action.PASSWORD_SET, target=user,
                 detail={"sessions_ended": ended} if ended else {})


ACCESS_FLAGS = ("is_active", "is_staff", "is_superuser")


def user_access_changes_record(*, user: User, before: dict[str, bool] | None, by: User | None) -> None:
    """Record changes of the account's access flags (active, admin site, superuser) in the audit log."""
    if before is None:
        return
    changed = {flag: getattr(user, flag) for flag in ACCESS_FLAGS if before[flag] != getattr(user, flag)}
    if changed:
        ended = user_sessions_end(user=user) if by is not None and by.pk != user.pk else 0
        audit_record(actor=by, action=AuditEvent.Action.ROLE_CHANGE, target=user,
                     detail={"access": changed} | ({"sessions_ended": ended} if ended else {}))
