"""How the interviews' and the lounge's timeline entries read (kinds "interview" and "lounge"; a variant each).

Registered with the archive's timeline in CareConfig.ready(). Entries store codes (the place, what was
offered, the file's field names), counts and the words people wrote; they are worded here in the
reader's language. A problem raised from a suggestion, a referral's lead and the gift chosen have their
own entries too (the callback centre's, the leads', the gifts'); the interview's says it in one line."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext

from customers.timeline import Message


def _field_labels(names) -> str:
    from customers.models import Customer  # the models import the archive's timeline, which imports this

    labels = []
    for name in names or []:
        try:
            labels.append(str(Customer._meta.get_field(name).verbose_name))
        except Exception:  # a field renamed since: its code
            labels.append(name)
    return "、".join(labels)


def _interview_values(params: dict) -> dict:
    from .models import Interview

    place = params.get("place")
    parts = []
    fields = _field_labels(params.get("fields"))
    if fields:
        parts.append(str(_("file: %(fields)s")) % {"fields": fields})
    if params.get("family"):
        parts.append(ngettext("%(n)d family member", "%(n)d family members", params["family"]) % {"n": params["family"]})
    if params.get("suggestions"):
        parts.append(ngettext("%(n)d suggestion", "%(n)d suggestions", params["suggestions"]) % {"n": params["suggestions"]}
                     + (str(_(" (%(n)d to departments)")) % {"n": params["problems"]} if params.get("problems") else ""))
    if params.get("referrals"):
        parts.append(ngettext("%(n)d referral", "%(n)d referrals", params["referrals"]) % {"n": params["referrals"]})
    if params.get("gift"):
        parts.append(str(_("gift chosen: %(gift)s")) % {"gift": params["gift"]})
    if params.get("important"):
        parts.append(str(_("important-customer form")))
    return {
        "number": f"MF{int(params.get('interview') or 0):06d}",
        "place": str(Interview.Place(place).label) if place in Interview.Place.values else "—",
        "brought": pgettext("list separator", "; ").join(parts) or str(_("nothing new for the file")),
        "summary": params.get("summary") or "",
    }


def _lounge_values(params: dict) -> dict:
    from .models import LoungeVisit

    labels = dict(LoungeVisit.Offer.choices)
    offered = [str(labels.get(code, code)) for code in params.get("offered") or []]
    if params.get("offered_note"):
        offered.append(params["offered_note"])
    came_for = []
    if params.get("appointment"):
        came_for.append(str(_("appointment at %(time)s")) % {"time": params["appointment"]})
    if params.get("ro"):
        came_for.append(str(_("repair order %(ro)s")) % {"ro": params["ro"]})
    return {
        "minutes": params.get("minutes") or 0,
        "offered": "、".join(offered) or "—",
        "came_for": pgettext("list separator", "; ").join(came_for),
        "fields": _field_labels(params.get("fields")) or "—",
        "needs": params.get("needs") or "",
    }


MESSAGES: dict[str, Message] = {
    "interview/held": Message(title=_("Interview %(number)s (%(place)s): %(brought)s"), body="%(summary)s",
                              values=_interview_values),
    "lounge/arrived": Message(title=_("Waiting in the lounge"), body="%(came_for)s", values=_lounge_values),
    "lounge/left": Message(title=_("Left the lounge after %(minutes)s minutes"), body=_("Offered: %(offered)s"),
                           values=_lounge_values),
    "lounge/learned": Message(title=_("Learned in the lounge: %(fields)s"), body="%(needs)s", values=_lounge_values),
}
