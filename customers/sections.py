"""Sections and vehicle actions the features above the archive add to the customer page.

A feature whose records belong on the customer's page (their appointments, the retention state of
their cars) registers a section here from its AppConfig.ready(), as the complaints register their
hold (customers/holds.py): the archive imports none of them, and a reader without the section's
right costs it no query.

- A section has a title, an icon and a template; its `context` reads what it shows for one customer
  in a fixed number of queries and returns None when it has nothing to show.
- A vehicle action is a button on each current vehicle of the customer (e.g. 车已卖): it opens a
  confirmation page (`customers:vehicle_act`) with the action's form, and the confirmed form calls
  the action, which returns the message to show. A ValidationError from it shows the form again
  with the error, nothing lost.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.utils.functional import Promise


@dataclass(frozen=True)
class Section:
    name: str
    title: str | Promise
    icon: str
    template: str
    # (*, customer, user, now) -> the template's `section`, or None to show nothing
    context: Callable[..., dict | None]
    perm: str
    order: int = 100


@dataclass(frozen=True)
class SectionShown:
    section: Section
    context: dict


@dataclass(frozen=True)
class VehicleAction:
    name: str
    label: str | Promise
    icon: str
    perm: str
    title: str | Promise  # the confirmation page's heading
    explanation: str | Promise  # what confirming does, said before the button
    form: type[forms.Form]
    # (*, customer, vehicle, by, **the form's cleaned data) -> the message once done
    act: Callable[..., str]
    role_kinds: frozenset[str] = field(default_factory=lambda: frozenset({"owner"}))
    danger: bool = True


SECTIONS: dict[str, Section] = {}
VEHICLE_ACTIONS: dict[str, VehicleAction] = {}


def section_register(name: str, *, title, icon: str, template: str, context: Callable[..., dict | None], perm: str,
                     order: int = 100) -> Section:
    """Register a section of the customer page; a name registered twice is refused."""
    if name in SECTIONS:
        raise ValueError(f"Customer page section registered twice: {name}")
    section = Section(name=name, title=title, icon=icon, template=template, context=context, perm=perm, order=order)
    SECTIONS[name] = section
    return section


def vehicle_action_register(name: str, *, label, icon: str, perm: str, title, explanation, form: type[forms.Form],
                            act: Callable[..., str], role_kinds=("owner",), danger: bool = True) -> VehicleAction:
    """Register an action on the customer's current vehicles; a name registered twice is refused."""
    if name in VEHICLE_ACTIONS:
        raise ValueError(f"Vehicle action registered twice: {name}")
    action = VehicleAction(name=name, label=label, icon=icon, perm=perm, title=title, explanation=explanation,
                           form=form, act=act, role_kinds=frozenset(role_kinds), danger=danger)
    VEHICLE_ACTIONS[name] = action
    return action


def sections_for(*, customer, user, now) -> list[SectionShown]:
    """The sections this reader may see that have something to show, in their order."""
    shown = []
    for section in sorted(SECTIONS.values(), key=lambda section: (section.order, section.name)):
        if not user.has_perm(section.perm):
            continue
        context = section.context(customer=customer, user=user, now=now)
        if context is not None:
            shown.append(SectionShown(section=section, context=context))
    return shown


def vehicle_actions_for(user) -> list[VehicleAction]:
    return [action for action in VEHICLE_ACTIONS.values() if user.has_perm(action.perm)]
