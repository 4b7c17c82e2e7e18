"""What `make serve` runs and where gunicorn listens, from the environment (docs/deploy.md)."""

import os
import runpy
import subprocess

from django.conf import settings


def _gunicorn_conf(**env) -> dict:
    saved = {name: os.environ.pop(name, None) for name in ("HOST", "PORT")}
    try:
        os.environ.update(env)
        return runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    finally:
        for name in ("HOST", "PORT"):
            os.environ.pop(name, None)
            if saved[name] is not None:
                os.environ[name] = saved[name]


def test_gunicorn_listens_on_loopback_unless_told_otherwise():
    # It trusts the proxy's X-Forwarded-Proto and X-Forwarded-For: only the proxy may reach it.
    assert _gunicorn_conf()["bind"] == "127.0.0.1:8000"
    assert _gunicorn_conf(HOST="10.0.0.5", PORT="8123")["bind"] == "10.0.0.5:8123"


def _serve_commands(*args: str) -> list[str]:
    result = subprocess.run(
        ["make", "-n", "serve", *args],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "MIGRATE_ON_START"},
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if "manage.py" in line or "gunicorn" in line]


def test_make_serve_migrates_on_start_by_default_and_not_when_switched_off():
    assert _serve_commands() == [
        ".venv/bin/python manage.py collectstatic --no-input -v 0",
        ".venv/bin/python manage.py migrate --no-input",
        "PORT=8000 .venv/bin/gunicorn misuse_tracker.wsgi",
    ]
    assert _serve_commands("MIGRATE_ON_START=0") == [
        ".venv/bin/python manage.py collectstatic --no-input -v 0",
        "PORT=8000 .venv/bin/gunicorn misuse_tracker.wsgi",
    ]
