"""Small things a user and an operator notice: the CRM's icon on every tab, and a refused page
that takes one line in the log."""

import io
import logging

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.utils.log import configure_logging

from dealer_crm.settings import base


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_the_login_pages_link_the_icon(client, path):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get(path).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/", "/admin/jobs/jobrun/"])
def test_the_pages_and_the_admin_link_the_icon(login, admin_user, path):
    response = login(admin_user).get(path)
    assert response.status_code == 200
    assert 'rel="icon" href="/static/favicon.svg"' in response.content.decode()


@pytest.mark.django_db
def test_favicon_ico_sends_the_browser_to_the_icon(client):
    response = client.get("/favicon.ico")  # browsers ask before anyone has logged in
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg")


@pytest.fixture
def project_log(settings):
    """The project's own logging (the tests run with a quiet one), as `manage.py runserver` has it;
    every console handler writes into the buffer this returns, so a record printed twice shows."""
    settings.DEBUG = True
    configure_logging(django_settings.LOGGING_CONFIG, base.LOGGING)
    buffer = io.StringIO()
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in logging.root.manager.loggerDict]
    for handler in {h for logger in loggers for h in logger.handlers}:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setStream(buffer)
    yield buffer
    configure_logging(django_settings.LOGGING_CONFIG, django_settings.LOGGING)


@pytest.mark.django_db
def test_a_refused_page_is_one_line_in_the_log(login, colleague, project_log):
    assert login(colleague).get("/audit/").status_code == 403
    lines = [line for line in project_log.getvalue().splitlines() if "axes" not in line]
    assert len(lines) == 1, lines
    assert "WARNING django.request Forbidden" in lines[0] and "/audit/" in lines[0]


@pytest.mark.django_db
def test_a_server_error_keeps_its_traceback(project_log):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("django.request").error("Internal Server Error: /x", exc_info=True,
                                                  extra={"status_code": 500})
    log = project_log.getvalue()
    assert log.count("Internal Server Error: /x") == 1 and "Traceback" in log and "ValueError: boom" in log
