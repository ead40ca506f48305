"""The words the agent reads: a script's opening and closing with the customer's details filled in."""

import re

from django.utils.translation import gettext_lazy as _

VARIABLES = {
    "name": _("customer's name"),
    "title": _("先生 or 女士"),
    "plate": _("plate"),
    "model": _("vehicle model"),
    "store": _("store name"),
    "agent": _("the agent's name"),
}
_VARIABLE = re.compile(r"\{(\w+)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each known {variable} replaced by its value (empty when the customer's record
    lacks it, e.g. no gender: no title); an unknown one is left as written, so a typo shows on the
    screen instead of breaking the call (str.format would raise)."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        return str(values.get(name) or "") if name in VARIABLES else match.group(0)

    return _VARIABLE.sub(value, text or "")


TITLES = {"M": "先生", "F": "女士"}


def values_for(*, customer, vehicle=None, agent=None) -> dict[str, str]:
    """The variables of one call from what the page has loaded already (no query): the customer's
    name and title, the vehicle's plate and model, the store, the agent's name."""
    from django.conf import settings

    values = {"name": customer.name, "title": TITLES.get(customer.gender, ""), "store": settings.SMS_STORE_NAME}
    if vehicle is not None:
        values |= {"plate": vehicle.plate, "model": vehicle.model_name}
    if agent is not None:
        values["agent"] = getattr(agent, "display_name", "") or agent.get_username()
    return values
