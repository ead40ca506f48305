"""How complaints' timeline entries read (kind "complaint"; a variant per step).

Registered with the archive's timeline in ComplaintsConfig.ready(). Entries store codes (category,
department, round) and the words people wrote; the codes are worded here in the reader's language."""

from django.utils.translation import gettext_lazy as _

from customers.timeline import Message


def _values(params: dict) -> dict:
    from followups.callbacks.models import Department  # the models import the archive, which imports this

    from .models import Complaint

    category = params.get("category")
    department = params.get("department")
    return {
        "number": f"TS{int(params.get('complaint') or 0):06d}",
        "category": str(Complaint.Category(category).label) if category in Complaint.Category.values else "—",
        "department": str(Department(department).label) if department in Department.values else "—",
        "severity": params.get("severity") or "—",
        "round": params.get("round") or 1,
        "description": params.get("description") or "",
        "note": params.get("note") or "",
        "owner": params.get("owner") or "—",
        "cost": params.get("cost") or "",
    }


def _message(title):
    return Message(title=title, body="%(note)s", values=_values)


MESSAGES: dict[str, Message] = {
    "complaint/registered": Message(title=_("Complaint %(number)s registered · %(category)s, %(severity)s, "
                                            "for %(department)s"), body="%(description)s", values=_values),
    "complaint/assigned": Message(title=_("Complaint %(number)s assigned to %(owner)s"), values=_values),
    "complaint/contacted": _message(_("Complaint %(number)s: first contact made")),
    "complaint/investigating": _message(_("Complaint %(number)s: investigation started")),
    "complaint/visited": _message(_("Complaint %(number)s: home visit")),
    "complaint/agreed": _message(_("Complaint %(number)s: solution agreed")),
    "complaint/solved": _message(_("Complaint %(number)s solved")),
    "complaint/followed_up": _message(_("Complaint %(number)s: follow-up call")),
    "complaint/satisfied": _message(_("Complaint %(number)s: the customer confirmed they are satisfied")),
    "complaint/closed": _message(_("Complaint %(number)s closed with its case analysis")),
    "complaint/reopened": _message(_("Complaint %(number)s reopened (round %(round)s): the customer is not satisfied")),
}
