"""What every events page shares: who may do what (the rights of dealer_crm.accounts.roles'
EVENT_READ, EVENT_DOOR and EVENT_RUN), fetching an event or one of its rows for a user (403 before
anything is looked up, then 404), and the event's header."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from dealer_crm.access import get_for_user, require_perm

from ..models import ChecklistItem, Event, Invitation

READ = "events.view_event"
DOOR = "events.checkin_event"
ADD = "events.add_event"
CHANGE = "events.change_event"
INVITE = "events.invite_event"
ANSWER = "events.change_invitation"
CHECKLIST_ADD = "events.add_checklistitem"
CHECKLIST_CHANGE = "events.change_checklistitem"
CHECKLIST_REMOVE = "events.delete_checklistitem"


def get_event_for_user(user, pk: int, *, perm: str = READ) -> Event:
    if perm != READ:
        require_perm(user, READ)
    return get_for_user(user, Event.objects.select_related("organiser", "created_by", "cancelled_by"), perm=perm, pk=pk)


def get_invitation_for_user(user, event: Event, pk: int, *, perm: str) -> Invitation:
    require_perm(user, perm)
    return get_object_or_404(Invitation.objects.select_related("customer", "lead"), event=event, pk=pk)


def get_item_for_user(user, event: Event, pk: int, *, perm: str) -> ChecklistItem:
    require_perm(user, perm)
    return get_object_or_404(ChecklistItem.objects.select_related("owner", "done_by"), event=event, pk=pk)


def is_open(event: Event) -> bool:
    """An event still being prepared or invited to: the steps that change it are offered."""
    return event.status in (Event.Status.PLANNING, Event.Status.INVITING)


def rights(user) -> dict:
    """What the page offers this user (the template reads these, each POST view checks the same)."""
    return {"can_change": user.has_perm(CHANGE), "can_invite": user.has_perm(INVITE),
            "can_answer": user.has_perm(ANSWER), "can_door": user.has_perm(DOOR),
            "can_add_item": user.has_perm(CHECKLIST_ADD), "can_change_item": user.has_perm(CHECKLIST_CHANGE),
            "can_remove_item": user.has_perm(CHECKLIST_REMOVE)}


def require(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def id_or_none(raw) -> int | None:
    raw = str(raw or "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63 else None


def add_errors(form, error) -> None:
    """A service's refusal on the form: on its field when the form has it, above the form otherwise."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
