"""Production settings refuse to start without what they cannot guess, and pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "x" * 20 + "-production-only-secret-value-" + "y" * 20
OUR_VARIABLES = ("DJANGO_", "DATABASE_", "REDIS_", "TRUSTED_")  # left out of the machine's environment
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "dealer_crm.settings.production",
    "DJANGO_SECRET_KEY": GOOD_SECRET,
    "DATABASE_URL": "postgres://crm@db.internal:5432/crm",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "DJANGO_ALLOWED_HOSTS": "crm.example.com",
    "TRUSTED_PROXIES": "10.0.0.2",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OUR_VARIABLES)}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXIES"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_a_short_secret():
    result = run_manage("check", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_each_checkout_makes_its_own_local_secret(tmp_path):
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    keys = []
    for name in ("one", "two"):
        env = {"DJANGO_SETTINGS_MODULE": "dealer_crm.settings.local"}
        clean = {k: v for k, v in os.environ.items() if not k.startswith(OUR_VARIABLES)}
        result = subprocess.run(
            [sys.executable, "-c", f"import environ, django; import dealer_crm.settings.base as b; "
                                   f"b.VAR_DIR = __import__('pathlib').Path({str(tmp_path / name)!r}); "
                                   f"b.VAR_DIR.mkdir(); django.setup(); {script}"],
            cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        keys.append(result.stdout.strip())
    assert keys[0] != keys[1] and min(map(len, keys)) >= 50
    assert (tmp_path / "one" / "secret_key").read_text() == keys[0]


def test_no_secret_key_literal_outside_the_test_settings():
    for path in (ROOT / "dealer_crm" / "settings").glob("*.py"):
        if path.name != "test.py":
            assert "SECRET_KEY = \"" not in path.read_text(), path


def test_idle_sessions_expire_after_thirty_minutes_by_default():
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert "dealer_crm.middleware.IdleSessionMiddleware" in settings.MIDDLEWARE
