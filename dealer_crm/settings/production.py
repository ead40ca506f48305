"""Production: PostgreSQL, Redis, HTTPS. Refuses to start without the settings it cannot guess."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, TRUSTED_PROXIES, env

DEBUG = False

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters in production."
    )
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://...")
if not env.str("REDIS_URL", default=""):
    raise ImproperlyConfigured("Production needs the Redis broker: set REDIS_URL=redis://...")
# Behind the HTTPS proxy, REMOTE_ADDR is the proxy's: without its address every browser would look
# like the proxy — to the audit log, and to the login lockout, where one person's typos would then
# lock that account for everyone.
if not [address for address in TRUSTED_PROXIES if address]:
    raise ImproperlyConfigured("Set TRUSTED_PROXIES to the address of the HTTPS proxy in front (e.g. 10.0.0.2).")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS: a proxy in front terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
# Preloading binds the whole domain to HTTPS in browsers for good: the store opts in on purpose.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Applies to subdomains of the CRM's own host name only (crm.example.com → *.crm.example.com).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]  # preload is the store's choice, see above
# The load balancer probes /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
