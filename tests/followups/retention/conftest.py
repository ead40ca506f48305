"""Retention's shipped rows (the lapse bands, the retention calls' rules and texts, the scripts) for
every test here: the session's database as the migrations leave it, also when reused after a run
whose transactional tests emptied them, and again after each transactional test's flush (see
tests/conftest.py `_shipped_rows`)."""

import pytest

from tests.conftest import _is_transactional


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from tests.followups.factories import retention_defaults

    with django_db_blocker.unblock():
        retention_defaults()


@pytest.fixture(autouse=True)
def _retention_rows(request, _shipped_rows):
    if _is_transactional(request):
        from tests.followups.factories import retention_defaults

        retention_defaults()
