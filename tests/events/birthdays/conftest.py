"""The birthdays' shipped rows (the greeting texts and the birthday call's rule, birthdays 0002, and
the birthday call's script, scripts 0006) for
every test here, also after a transactional test's flush; and the people of the tests."""

import importlib
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import _is_transactional

SHANGHAI = ZoneInfo("Asia/Shanghai")


def birthday_defaults() -> None:
    from django.apps import apps

    importlib.import_module("events.birthdays.migrations.0002_defaults").create(apps, None)
    # The birthday call's all-brand script (scripts 0006), which a transactional test's flush empties too.
    from followups.scripts.models import Script

    if not Script.objects.filter(kind="birthday").exists():
        importlib.import_module("followups.scripts.migrations.0006_care_scripts").seed(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        birthday_defaults()


@pytest.fixture(autouse=True)
def _birthday_rows(request, _shipped_rows):
    if _is_transactional(request):
        birthday_defaults()


def at(day: date, hour: int = 5, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def customer(*, name: str = "王建国", born: date | None = None, importance: str = "normal", gender: str = "M",
             mobile: str | None = None, **fields):
    from tests.customers.factories import CustomerFactory

    extra = {"mobile": mobile} if mobile is not None else {}
    return CustomerFactory(name=name, birthday=born, importance=importance, gender=gender, **extra, **fields)


def child(parent, *, name: str = "王小明", born: date, relation: str = "child"):
    from customers.models import FamilyMember

    return FamilyMember.objects.create(customer=parent, relation=relation, name=name, birthday=born)
