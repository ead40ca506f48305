"""The embedded default for `make run`: SQLite and a broker-less Celery transport, DEBUG on.

Set DATABASE_URL and REDIS_URL to run the same code on PostgreSQL and Redis.
"""

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

for _folder in ("celery-queue", "celery-control", "media", "staticfiles"):
    (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A key made once per checkout and kept in var/ (never committed), so sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _local_secret_key()
