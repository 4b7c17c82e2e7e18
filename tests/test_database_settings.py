"""The database plumbing: PostgreSQL only, and the embedded server's known traps handled."""

import json
import os
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection

from misuse_tracker.embedded_db import _drop_dead_handles


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_dead_pids_are_dropped_so_the_server_can_be_stopped_again(tmp_path):
    dead = _dead_pid()
    (tmp_path / ".handle_pids.json").write_text(json.dumps([dead, os.getpid()]))
    _drop_dead_handles(tmp_path)
    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == [os.getpid()]


def test_no_handle_file_is_fine(tmp_path):
    _drop_dead_handles(tmp_path)
    assert not (tmp_path / ".handle_pids.json").exists()


def test_tests_run_on_postgresql(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 140000


def test_a_database_url_that_is_not_postgresql_is_refused():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DATABASE_URL": "sqlite:///misuse.db",
            "DJANGO_SETTINGS_MODULE": "misuse_tracker.settings",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL (15 or newer)." in result.stderr


def test_production_without_a_secret_key_fails_loudly():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **env,
            "DEBUG": "false",
            "DATABASE_URL": "postgres://u:p@127.0.0.1:1/x",
            "DJANGO_SETTINGS_MODULE": "misuse_tracker.settings",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert "SECRET_KEY must be set to at least 50 random characters when DEBUG is off." in result.stderr


ATTACH = "import sys; sys.path.insert(0, {root!r}); from pathlib import Path; from misuse_tracker.embedded_db import server_settings; server_settings(Path({base!r}))"


def _postgres_running_in(base) -> bool:
    import psutil

    return any(
        str(base) in " ".join(p.info["cmdline"] or [])
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres"
    )


def test_server_stops_even_when_another_attached_process_was_killed(tmp_path):
    # runserver's reloader SIGKILLs its serving child when the parent is stopped: the parent's
    # exit must still stop the embedded server.
    root = str(settings.BASE_DIR)
    script = f"""
import json, subprocess, sys, time
from pathlib import Path
{ATTACH.format(root=root, base=str(tmp_path))}
child = subprocess.Popen([sys.executable, "-c", {ATTACH.format(root=root, base=str(tmp_path))!r} + "; import time; time.sleep(60)"])
handles = Path({str(tmp_path)!r}) / "var" / "pgdata" / ".handle_pids.json"
for _ in range(100):
    if child.pid in json.loads(handles.read_text() or "[]"):
        break
    time.sleep(0.1)
child.kill()
child.wait()
"""
    subprocess.run(
        [sys.executable, "-c", script], check=True, timeout=120, env={**os.environ, "DATABASE_URL": ""}
    )
    for _ in range(50):
        if not _postgres_running_in(tmp_path):
            break
        time.sleep(0.2)
    assert not _postgres_running_in(tmp_path)
    assert json.loads((tmp_path / "var" / "pgdata" / ".handle_pids.json").read_text()) == []
