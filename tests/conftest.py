"""Shared fixtures: named personas for permission tests, the real broker, the real browser.

In CI (CI=true) a missing service or browser fails the test instead of skipping it.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

from dealer_crm.accounts.roles import Role
from tests.factories import PASSWORD, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told it is safe (it is: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def skip_or_fail(reason: str):
    if IN_CI:
        pytest.fail(f"CI needs this to run: {reason}")
    pytest.skip(reason)


# --- personas -------------------------------------------------------------------------------
@pytest.fixture
def agent(db):
    return UserFactory(username="agent_li", display_name="李娜", roles=[Role.CALLBACK_AGENT])


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor_liu", display_name="刘芳", roles=[Role.DCRC_SUPERVISOR])


@pytest.fixture
def general_manager(db):
    return UserFactory(username="gm_chen", display_name="陈建国", roles=[Role.GENERAL_MANAGER])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin_wang", display_name="王磊", roles=[Role.ADMIN], is_staff=True)


@pytest.fixture
def colleague(db):
    """Signed in, but with a role that must NOT see administrative records."""
    return UserFactory(username="lounge_zheng", display_name="郑丽", roles=[Role.LOUNGE_HOST])


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def password():
    return PASSWORD


# --- the real broker -----------------------------------------------------------------------
@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("REDIS_URL is not set")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=2).close()
    except OSError as exc:
        skip_or_fail(f"Redis at {url} does not answer: {exc}")
    return url


# --- the real browser ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 850}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
