"""Shared fixtures: named personas for permission tests, the real broker, the real browser.

In CI (CI=true) a missing service or browser fails the test instead of skipping it.
"""

import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path
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


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a list cached by one test (e.g. the vehicle models in the
    list filter) must not decide what another test's form accepts."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _store_language():
    """Each test starts in the store's language: a request that switched the test client to English
    leaves the thread's language active after it, which changed the messages of the tests run next."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as the migrations leave it, also when it is reused after a run whose
    transactional tests emptied the shipped rows (see `_shipped_rows`)."""
    from tests.followups.factories import default_callback_rules, seeded_scripts

    with django_db_blocker.unblock():
        default_callback_rules()
        seeded_scripts()


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _shipped_rows(request):
    """The rows the data migrations ship (the callback rules and their texts, the seeded scripts)
    for a test on a transactional database: each such test ends with a flush, which empties them
    for every transactional test after it (and for the next run on a reused database). Plain
    tests run inside a transaction that is rolled back and keep them."""
    if _is_transactional(request):
        from tests.followups.factories import default_callback_rules, seeded_scripts

        request.getfixturevalue("transactional_db")
        default_callback_rules()
        seeded_scripts()


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


def database_url_of_the_test_database() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker(redis_url, transactional_db):
    """A real Celery worker process on the test database, through Redis, on a queue of its own.

    Tasks sent with `.delay()` during the test go to that queue (no other worker can take them).
    Yields the worker's process; its output is attached to a failing assertion by the test.
    """
    from dealer_crm.celery import app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dealer_crm.settings.test",
           "DATABASE_URL": database_url_of_the_test_database(), "REDIS_URL": redis_url}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dealer_crm", "worker", "--pool=solo", "-Q", queue,
         "--without-mingle", "--without-gossip", "--loglevel=INFO"],
        cwd=Path(__file__).resolve().parent.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    app.loader.import_default_modules()  # every app's tasks module, so that each task gets the queue
    ours = [task for name, task in app.tasks.items() if not name.startswith("celery.")]
    for task in ours:  # the exec options are cached on the task: reset them with the queue
        task.queue, task._exec_options = queue, None
    try:
        yield worker
    finally:
        for task in ours:
            task.queue, task._exec_options = None, None
        if worker.poll() is None:
            worker.terminate()
            worker.communicate(timeout=30)


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
