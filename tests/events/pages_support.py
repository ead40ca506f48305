"""What the events pages' tests share: events made through the services at known moments, the HTML
read as a user reads it (text without tags), and the pages' addresses. The personas and the clock are
tests/events/conftest.py's (marketing 周敏 runs events, an agent 吴婷 at the door); the service manager
is the colleague with no right on events."""

import re
from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

from dealer_crm.accounts.roles import Role
from events import services
from tests.factories import UserFactory

from .conftest import EVENT_START, NOW


def outsider():
    return UserFactory(username="service_gao", display_name="高强", roles=[Role.SERVICE_MANAGER])


def reader():
    """The general manager: reads events, changes nothing."""
    return UserFactory(username="gm_events", display_name="陈总", roles=[Role.GENERAL_MANAGER])


def plan(*, by, title: str = "科雷傲新车品鉴会", starts_at=EVENT_START, kind: str = "launch", budget: str = "8000",
         venue: str = "展厅二楼", **fields):
    return services.event_create(by=by, title=title, kind=kind, starts_at=starts_at, venue=venue,
                                 budget=Decimal(budget), **fields)


def url(name: str, *args) -> str:
    return reverse(f"events:{name}", args=args)


def html(response) -> str:
    return response.content.decode()


def text(page: str) -> str:
    """The page as read: tags dropped, spaces collapsed."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def part(page: str, element_id: str) -> str:
    """The element with this id (up to its tag's closing, nesting counted)."""
    start = page.index(f'id="{element_id}"')
    start = page.rindex("<", 0, start)
    tag = re.match(r"<(\w+)", page[start:]).group(1)
    depth, position = 0, start
    for match in re.finditer(rf"<(/?){tag}\b[^>]*>", page[start:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = start + match.end()
            break
    return page[start:position]


LATER = NOW + timedelta(days=1)
