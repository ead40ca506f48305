"""How problems' timeline entries read (kind "problem"; variants per step).

Registered with the archive's timeline in CallbacksConfig.ready(). The entries store the problem's
codes (category, department, round) and the words people wrote (what the customer said, the cause
and the fix, the supervisor's reason); the codes are worded here in the reader's language."""

from django.utils.translation import gettext_lazy as _

from customers.timeline import Message


def _problem_values(params: dict) -> dict:
    from .models import Department, Problem  # the models import the archive, which imports this

    def department(code: str | None) -> str:
        return str(Department(code).label) if code in Department.values else (code or "—")

    return {
        "category": str(Problem.Category(params["category"]).label)
        if params.get("category") in Problem.Category.values else "—",
        "department": department(params.get("department")),
        "moved_from": department(params.get("moved_from")),
        "round": params.get("round") or 1,
        "description": params.get("description") or "",
        "cause": params.get("cause") or "—",
        "fix": params.get("fix") or "—",
        "reason": params.get("reason") or "",
        "note": params.get("note") or "",
    }


MESSAGES: dict[str, Message] = {
    "problem/raised": Message(title=_("Problem raised · %(category)s, for %(department)s"),
                              body="%(description)s", values=_problem_values),
    "problem/escalated": Message(title=_("Escalated as a complaint · %(category)s, for %(department)s"),
                                 body="%(description)s", values=_problem_values),
    "problem/fixed": Message(title=_("Problem fixed by %(department)s (round %(round)s) · %(category)s"),
                             body=_("Cause: %(cause)s — What was done: %(fix)s"), values=_problem_values),
    "problem/confirmed": Message(title=_("Customer satisfied with the fix · %(category)s"), values=_problem_values),
    "problem/reopened": Message(title=_("Customer not satisfied with the fix · %(category)s, round %(round)s "
                                        "for %(department)s"), values=_problem_values),
    "problem/closed": Message(title=_("Problem closed by the supervisor · %(category)s"), body="%(reason)s",
                              values=_problem_values),
    "problem/reassigned": Message(title=_("Problem moved from %(moved_from)s to %(department)s · %(category)s"),
                                  body="%(note)s", values=_problem_values),
}
