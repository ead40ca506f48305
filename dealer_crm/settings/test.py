"""Tests: the real database and broker named by DATABASE_URL / REDIS_URL, else the embedded default."""

from .local import *  # noqa: F403
from .local import DATABASES, VAR_DIR

DEBUG = False
SECRET_KEY = "tests-only-key"  # noqa: S105 - never used outside the test run
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "zh-hans"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a real Celery worker process can open the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_dealer_crm.sqlite3")}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
