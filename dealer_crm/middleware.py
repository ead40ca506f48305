import re
import time

from django.conf import settings
from django.shortcuts import render, resolve_url
from django_htmx.http import HttpResponseClientRedirect

from .views import healthz


class HtmxLoginRedirectMiddleware:
    """When a session has expired, an htmx request must not swap the login page into a fragment:
    the browser is told to go to the login page instead."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.login_url = None

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") and response.status_code == 302:
            self.login_url = self.login_url or resolve_url(settings.LOGIN_URL)
            if response["Location"].startswith(self.login_url):
                return HttpResponseClientRedirect(response["Location"])
        return response


class IdleSessionMiddleware:
    """Sliding expiry of signed-in sessions: each request pushes the idle deadline forward.

    The session is written at most once a minute (not on every request), so pages cost no
    database write for it; the idle limit is accurate to that minute.
    """

    TOUCH_EVERY = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            if now - request.session.get("_touched", 0) >= self.TOUCH_EVERY:
                request.session["_touched"] = now  # marks the session modified: saved with a new expiry
        return self.get_response(request)


class HealthCheckMiddleware:
    """`/healthz` answered first, before the host check and the HTTPS redirect: a load balancer
    probes each server by its own address, over plain HTTP, with a Host header of its choosing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)


# What PostgreSQL cannot store in a text column (NUL) and what cannot be encoded as UTF-8 at all
# (lone surrogates). Django decodes invalid UTF-8 in query strings and forms to U+FFFD, which is
# storable; these two can still arrive (a NUL as %00, or "\000" in a quoted cookie).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnstorableInputMiddleware:
    """Answers 400, with a short page, a request whose path, query string, form fields, uploaded
    file names, cookies or headers hold a character the database cannot store. Without it, such a
    value reaches a query or a write deep in a view, and PostgreSQL's refusal becomes a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.unstorable(request):
            return render(request, "400.html", {"unstorable": True}, status=400)
        return self.get_response(request)

    @staticmethod
    def unstorable(request) -> bool:
        texts = [request.path_info]
        texts += [text for key, value in request.COOKIES.items() for text in (key, value)]
        texts += [value for key, value in request.META.items() if key.startswith("HTTP_") and isinstance(value, str)]
        for query in (request.GET, request.POST):  # request.POST is empty unless a form was posted
            for key, values in query.lists():
                texts.append(key)
                texts += values
        for key, uploads in request.FILES.lists():
            texts.append(key)
            texts += [upload.name or "" for upload in uploads]
        return any(UNSTORABLE.search(text) for text in texts)
