"""Personas of the callback centre beside the shared ones (tests/conftest.py): the managers the
problems are routed to."""

import pytest

from dealer_crm.accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def service_manager(db):
    return UserFactory(username="service_zhao", display_name="赵强", roles=[Role.SERVICE_MANAGER])


@pytest.fixture
def sales_manager(db):
    return UserFactory(username="sales_sun", display_name="孙伟", roles=[Role.SALES_MANAGER])
