"""Every URL of the project requires login, except the few that must work before it."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

# (namespace-qualified name) of views that must answer without login, and why.
PUBLIC = {
    "login",  # the login page itself
    "set_language",  # the language switch on the login page
    "healthz",  # the load balancer's probe; says only "ok"
    "favicon",  # a redirect to the static icon, which the login page shows too
    "admin:login",  # the admin's own login form (it logs in through the same backend and audit)
    # The SMS gateways' receipt and reply pushes: a secret token in the URL instead of a login.
    "messaging:receipts_push",
    "messaging:replies_push",
}
SAMPLE_ARGS = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": str(uuid.uuid4())}


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield prefix, entry, name.lstrip(":")


def sample_path(prefix: str, entry: URLPattern) -> str | None:
    """A concrete path for a route like `audit/<int:pk>/`; None for regex patterns."""
    if not isinstance(entry.pattern, RoutePattern) or "^" in prefix:
        return None
    route = prefix + str(entry.pattern)
    for converter, value in SAMPLE_ARGS.items():
        while f"<{converter}:" in route:
            start = route.index(f"<{converter}:")
            route = route[:start] + value + route[route.index(">", start) + 1 :]
    return "/" + route


ALL = list(walk(get_resolver().url_patterns))


def test_the_walk_finds_the_project_urls():
    names = {name for _prefix, _entry, name in ALL}
    assert {"home", "audit:event_list", "audit:event_detail", "jobs:run_list", "admin:index"} <= names


@pytest.mark.parametrize(("prefix", "entry", "name"), ALL, ids=[prefix + str(e.pattern) for prefix, e, _n in ALL])
def test_every_view_requires_login(prefix, entry, name):
    exempt = getattr(entry.callback, "login_required", True) is False
    if name in PUBLIC:
        assert exempt, f"{name} is listed as public but requires login"
        return
    assert not exempt, f"{prefix}{entry.pattern} ({name}) can be opened without logging in"


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "entry", "name"), ALL, ids=[prefix + str(e.pattern) for prefix, e, _n in ALL])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, prefix, entry, name):
    path = sample_path(prefix, entry)
    if path is None or name in PUBLIC:
        return  # regex routes (the admin's app index) are covered by the attribute walk above
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 302, f"{method.upper()} {path} answered {response.status_code}"
        # The admin's own pages send visitors to its login form, which logs in the same way.
        login_urls = ("/accounts/login/?next=", "/admin/login/?next=") if name.startswith("admin:") else (
            "/accounts/login/?next=",)
        assert response["Location"].startswith(login_urls), response["Location"]


@pytest.mark.django_db
def test_the_public_pages_answer_without_login(client):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"


@pytest.mark.django_db
def test_the_health_check_answers_a_probe_by_address_over_plain_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["crm.example.com"]
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert client.head("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200  # some balancers probe with HEAD
    assert client.get("/accounts/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400  # the rest is checked
