"""Extra panels on one callback's workbench, from the features above the callback centre.

A retention call (a first-maintenance solicitation, a maintenance reminder, a win-back, a no-show
follow-up) is a callback like the others, but the agent needs more than the script: why the store
calls (the vehicle's due date, since when the customer stays away, the appointment they missed), a
booking form with the quiet slots, the reasons a customer stopped coming, a hand-over to sales. The
features that own those records register a panel here from their AppConfig.ready(), as the complaints
register their hold (customers/holds.py): the callback centre imports none of them.

A panel is asked for only on the kinds it names, so an SSI call's page runs the queries it always
ran. Its `context` reads what it shows in a fixed number of queries and returns None when it has
nothing to say. Its `actions` take the panel's forms: each posts to one workbench route
(`callbacks:callback_extra` with the panel's and the action's names), which checks that the user may
record on the callback before calling the action, and shows the page again with the form filled in
when the action refuses (`ExtraRefused`).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime


class ExtraRefused(Exception):
    """An action's refusal, in the user's language; `kept` is what its form shows again (the posted
    values, the slots to offer instead)."""

    def __init__(self, message: str, *, kept: dict | None = None):
        super().__init__(message)
        self.kept = kept or {}


@dataclass(frozen=True)
class WorkbenchExtra:
    name: str
    kinds: frozenset[str]
    template: str
    # (*, bench, user, may_record, now, kept) -> the template's `extra`, or None for no panel
    context: Callable[..., dict | None]
    # action name -> (*, callback, user, data: QueryDict, now) -> the message to show once done
    actions: Mapping[str, Callable[..., str]] = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class ExtraPanel:
    """A panel as the page shows it: the extra's name (its forms' route), template and context."""

    name: str
    template: str
    context: dict


EXTRAS: dict[str, WorkbenchExtra] = {}


def workbench_extra_register(name: str, *, kinds: Iterable[str], template: str, context: Callable[..., dict | None],
                             actions: Mapping[str, Callable[..., str]] | None = None,
                             order: int = 100) -> WorkbenchExtra:
    """Register a workbench panel for callbacks of these kinds (from the AppConfig.ready() of the
    feature that owns it); a name registered twice is refused, as a marketing hold is."""
    if name in EXTRAS:
        raise ValueError(f"Workbench panel registered twice: {name}")
    if "/" in name:
        raise ValueError(f"A workbench panel's name is part of its route: {name}")
    extra = WorkbenchExtra(name=name, kinds=frozenset(kinds), template=template, context=context,
                           actions=dict(actions or {}), order=order)
    EXTRAS[name] = extra
    return extra


def extras_for(kind: str) -> list[WorkbenchExtra]:
    return sorted((extra for extra in EXTRAS.values() if kind in extra.kinds), key=lambda extra: (extra.order, extra.name))


def extra_panels(*, bench, user, may_record: bool, now: datetime, kept: Mapping[str, dict] | None = None
                 ) -> list[ExtraPanel]:
    """The panels for this callback's kind, in their order, each with what its template shows;
    `kept` holds, per panel, what a refused action's form shows again (with its `error`)."""
    panels = []
    for extra in extras_for(bench.callback.kind):
        context = extra.context(bench=bench, user=user, may_record=may_record, now=now,
                                kept=(kept or {}).get(extra.name))
        if context is not None:
            panels.append(ExtraPanel(name=extra.name, template=extra.template, context=context))
    return panels


def extra_action(name: str, action: str, *, kind: str) -> Callable[..., str] | None:
    """The action of that panel, if the panel shows on this kind of callback."""
    extra = EXTRAS.get(name)
    if extra is None or kind not in extra.kinds:
        return None
    return extra.actions.get(action)
