"""Pages that belong to no app: the role home page, the health check and the login lockout page."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from .home import home_panels


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    panels = home_panels(user=request.user, today=today)
    return render(
        request,
        "home.html",
        {
            "today": today,
            "panels": panels,
            "due_count": sum(shown.total for panel, shown in panels if panel.is_work),
        },
    )


@login_not_required
@never_cache
@require_safe  # GET or HEAD: some load balancers probe with HEAD
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer: 200 when the database answers. Says nothing else about the system."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@login_not_required
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on their own (the error pages, a bookmark, the admin before its
    link loads): send them to the icon every page links, instead of a 404 in the log."""
    return redirect(static("favicon.svg"))  # not permanent: the file name changes with its content


@never_cache
@require_GET
def keepalive(request: HttpRequest) -> HttpResponse:
    """Renews the signed-in session (every request does); the idle warning's button calls it."""
    return HttpResponse(status=204)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What django-axes shows instead of logging in, once an account is locked for this address."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None  # None: until unlocked
    return render(request, "registration/locked_out.html",
                  {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}, status=429)
