"""How membership's timeline entries read (kind "points"; a variant each).

Registered with the archive's timeline in MembershipConfig.ready(). On the timeline: enrolling, a
higher tier reached, a redemption, a supervisor's correction and an expiry. Not each earning: the
repair order that earned is on the timeline already (the archive's visit entry), and the member's
statement lists what it earned."""

from django.utils.translation import gettext_lazy as _

from customers.timeline import Message


def _values(params: dict) -> dict:
    def number(key: str) -> str:
        value = params.get(key)
        return f"{value:,}" if isinstance(value, int) else "—"

    return {
        "member": params.get("member") or "—",
        "tier": params.get("tier") or "—",
        "reward": params.get("reward") or "—",
        "quantity": params.get("quantity") or 1,
        "points": number("points"),
        "signed": f"{params['points']:+,}" if isinstance(params.get("points"), int) else "—",
        "usable": number("usable"),
        "cumulative": number("cumulative"),
        "note": params.get("note") or "",
    }


MESSAGES: dict[str, Message] = {
    "points/enrolled": Message(title=_("Became a member (%(member)s)"), body=_("Tier: %(tier)s"), values=_values),
    "points/tier": Message(title=_("Reached the %(tier)s tier"), body=_("%(cumulative)s cumulative points"),
                           values=_values),
    "points/redeemed": Message(title=_("Redeemed %(points)s points for %(reward)s × %(quantity)s"),
                               body=_("%(usable)s points left"), values=_values),
    "points/adjusted": Message(title=_("Points corrected: %(signed)s"), body=_("%(note)s (%(usable)s points left)"),
                               values=_values),
    "points/expired": Message(title=_("%(points)s points expired"), body=_("No paid visit for too long; %(usable)s points left"),
                              values=_values),
}
