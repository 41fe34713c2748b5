"""Settings come from the environment; a bad value stops start-up with a message naming it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.formats import date_format

ROOT = Path(__file__).resolve().parents[2]
REAL_SECRET = "kq3V9-zR_p1LmW8s0tYb2XcN5dF7gH4jA6eU-iO_wE3rT9yQ1uZ"
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": REAL_SECRET, "ALLOWED_HOSTS": "compact.example.org"}

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(settings.DATABASES["default"]["NAME"]),
    "EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "BROKER": settings.CELERY_BROKER_URL,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "TIME_ZONE": settings.TIME_ZONE,
    "LANGUAGE_CODE": settings.LANGUAGE_CODE,
    "STATICFILES": settings.STORAGES["staticfiles"]["BACKEND"],
    "SSL_REDIRECT": getattr(settings, "SECURE_SSL_REDIRECT", False),
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "HSTS": settings.SECURE_HSTS_SECONDS,
}))
"""

CONFIG_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "EMAIL_URL",
    "USE_MANIFEST_STATIC",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "TIME_ZONE",
    "CACHE_URL",
    "RATE_LIMIT_CONCERNS",
    "RATE_LIMIT_SIGN_UP",
    "RATE_LIMIT_PASSWORD_RESET",
    "SIGN_IN_FAILURE_LIMIT",
    "SIGN_IN_LOCKOUT_MINUTES",
    "BEHIND_TLS_PROXY",
)


def run_python(code: str, **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "compact_portal.settings"
    env.update(environment)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def load_settings(**environment: str) -> dict:
    result = run_python(PRINT_SETTINGS, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_with_no_environment_the_portal_runs_for_development():
    loaded = load_settings()
    assert loaded["DEBUG"] is True
    assert loaded["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["DB_NAME"] == str(ROOT / "db.sqlite3")
    assert loaded["EAGER"] is True  # no broker: tasks run in-process
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert loaded["TIME_ZONE"] == "Europe/London"
    assert loaded["LANGUAGE_CODE"] == "en-gb"
    assert loaded["STATICFILES"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_environment_switches_to_postgresql_redis_and_production_defaults():
    loaded = load_settings(
        DATABASE_URL="postgres://portal@db.internal:5432/compact",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.org:587",
        **PRODUCTION,
    )
    assert loaded["DEBUG"] is False
    assert loaded["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["DB_NAME"] == "compact"
    assert loaded["EAGER"] is False
    assert loaded["BROKER"] == "redis://127.0.0.1:6379/3"
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["STATICFILES"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert loaded["SSL_REDIRECT"] is True
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["SESSION_COOKIE_HTTPONLY"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["HSTS"] == 31536000


@pytest.mark.parametrize(
    ("environment", "named_in_message"),
    [
        ({"DEBUG": "false"}, "SECRET_KEY"),  # production refuses the development key
        ({"DEBUG": "false", "SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "ab" * 30, "ALLOWED_HOSTS": "compact.example.org"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": REAL_SECRET, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"DEBUG": "ture"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://root@localhost/portal"}, "DATABASE_URL"),
        ({"CELERY_BROKER_URL": "amqp://guest@localhost//"}, "CELERY_BROKER_URL"),
        ({**PRODUCTION, "SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS"),
        ({"RATE_LIMIT_CONCERNS": "lots"}, "RATE_LIMIT_CONCERNS"),
        ({"RATE_LIMIT_PASSWORD_RESET": "0/h"}, "RATE_LIMIT_PASSWORD_RESET"),
        ({"SIGN_IN_FAILURE_LIMIT": "0"}, "SIGN_IN_FAILURE_LIMIT"),
        ({"SIGN_IN_LOCKOUT_MINUTES": "quarter of an hour"}, "SIGN_IN_LOCKOUT_MINUTES"),
        ({"CACHE_URL": "ftp://cache.example.org"}, "CACHE_URL"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_clear_message(environment, named_in_message):
    result = run_python(PRINT_SETTINGS, **environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named_in_message in result.stderr.strip().splitlines()[-1]


def test_check_deploy_is_clean_with_only_secret_key_and_allowed_hosts_set():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}, **PRODUCTION},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_dates_are_shown_and_read_the_uk_way():
    import datetime

    from django import forms

    assert date_format(datetime.date(2026, 1, 5)) == "5 January 2026"
    assert date_format(datetime.date(2026, 1, 5), "SHORT_DATE_FORMAT") == "5 Jan 2026"
    assert forms.DateField().clean("05/01/2026") == datetime.date(2026, 1, 5)  # 5 January, not 1 May
