"""What the platform asks of the archive about its recipients, behind one interface.

The archive (an app) implements it and `settings.MESSAGING_AUDIENCE` names the class, so the
platform (infrastructure) imports no app: who the customers of a list filter are, what they agreed
to, their variables, who owns a number that replied "stop", and where a sent message is recorded.
"""

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import NamedTuple, Protocol

from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


class Exclusion(models.TextChoices):
    """Why a customer is left out of a send. The counts show before a bulk send is confirmed."""

    REFUSES_ALL = "refuses_all", _("Refuses all contact")
    REFUSES_SMS = "refuses_sms", _("Refuses SMS")
    OPTED_OUT = "opted_out", _("Opted out of this purpose")
    NO_MOBILE = "no_mobile", _("No mobile number")
    INVALID_MOBILE = "invalid_mobile", _("Invalid mobile number")
    DUPLICATE_MOBILE = "duplicate_mobile", _("The same mobile twice")
    WEEKLY_CAP = "weekly_cap", _("Weekly limit of marketing messages reached")
    SAME_TEMPLATE_TODAY = "same_template", _("Already got this template today")
    NOT_A_CUSTOMER = "not_a_customer", _("Not a customer in the archive")
    ALREADY_QUEUED = "already_queued", _("Already has this message")
    # A hold the archive reports (customers.holds): marketing waits until the complaint closes.
    COMPLAINT_OPEN = "complaint_open", _("Open complaint: marketing held")


class Candidate(NamedTuple):
    """A customer who may get the message, with the mobile it would go to. A tuple: a recipient
    list holds up to a million of them, built straight from database rows (`Candidate._make`)."""

    customer_id: int
    mobile: str


class Audience(Protocol):
    def from_filter(self, query: str, *, user) -> Iterable[Candidate]:
        """The customers of a customer-list filter (the list page's query string)."""

    def describe_filter(self, query: str) -> list[tuple[str, str]]:
        """The filter as (what, which) pairs for people, e.g. ("品牌", "三菱"); empty: every customer."""

    def from_mobiles(self, mobiles: list[str]) -> dict[str, Candidate]:
        """The customers whose mobile is one of these (the first customer per number)."""

    def of(self, customer_ids: Iterable[int]) -> list[Candidate]:
        """These customers with their mobiles."""

    def refusals(self, *, purpose: str, customer_ids: Iterable[int] | None = None) -> dict[int, str]:
        """customer id → Exclusion of those who refuse SMS of this purpose, or whose SMS of this
        purpose are held for now (marketing during an open complaint); all of them when no ids."""

    def variables(self, customer_ids: Iterable[int]) -> dict[int, dict[str, str]]:
        """customer id → the template variables known of them (name, title, plate, model, advisor)."""

    def opt_out(self, *, phone: str, text: str, at: datetime, gateway: str) -> int:
        """Record that whoever has this mobile refuses marketing, from their reply; how many customers."""

    def messages_sent(self, messages: list) -> None:
        """Put these sent messages on their customers' timelines."""


@cache
def _audience_class():
    return import_string(settings.MESSAGING_AUDIENCE)


def audience() -> Audience:
    return _audience_class()()
