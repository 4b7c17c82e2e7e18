"""The backup drill: dump the database, restore it into an empty one, and get the same data back."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from tests.test_production_server import Relay, _target

pytestmark = pytest.mark.django_db
BASE_DIR = Path(settings.BASE_DIR)
TABLES = [
    "forces_force",
    "forces_workforcesnapshot",
    "cases_source",
    "cases_foirequest",
    "cases_foireturn",
    "cases_caseline",
    "cases_reportedfigure",
    "cases_historicalcaseline",
    "auth_group_permissions",
]
CASES_CSV = (
    "from django.test.utils import setup_test_environment; setup_test_environment(); "
    "from django.test import Client; import sys; "
    "response = Client().get('/cases.csv'); assert response.status_code == 200; "
    "sys.stdout.buffer.write(b''.join(response.streaming_content))"
)


def manage(database_url: str, *args) -> subprocess.CompletedProcess:
    env = os.environ | {"DEBUG": "1", "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=BASE_DIR, capture_output=True, timeout=300
    )


def counts(dsn: dict) -> dict:
    with psycopg2.connect(**dsn) as db, db.cursor() as cursor:
        found = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            found[table] = cursor.fetchone()[0]
        return found


@pytest.fixture
def empty_database(django_db_setup):
    params = connection.get_connection_params()
    name = f"drill_{secrets.token_hex(4)}"
    admin = psycopg2.connect(**params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_backup_restores_into_an_empty_database_with_identical_data(empty_database, tmp_path):
    settings_dict = connection.settings_dict
    relay = Relay(_target(settings_dict))
    try:
        login = f"{settings_dict['USER']}:{settings_dict.get('PASSWORD') or ''}@127.0.0.1:{relay.port}"
        original, drill = (
            f"postgres://{login}/{settings_dict['NAME']}",
            f"postgres://{login}/{empty_database}",
        )
        dump = tmp_path / "drill.dump"

        backed_up = manage(original, "backup_database", str(dump))
        assert backed_up.returncode == 0, backed_up.stderr.decode()
        assert backed_up.stdout.decode().startswith(f"Backed up to {dump} (")
        assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

        restored = manage(drill, "restore_database", str(dump))
        assert restored.returncode == 0, restored.stderr.decode()

        params = connection.get_connection_params()
        assert counts(params | {"dbname": empty_database}) == counts(params)
        assert counts(params)["cases_caseline"] == 100

        before = manage(original, "shell", "--no-imports", "-c", CASES_CSV)
        after = manage(drill, "shell", "--no-imports", "-c", CASES_CSV)
        assert before.returncode == 0 and after.returncode == 0, (
            before.stderr.decode() + after.stderr.decode()
        )
        assert before.stdout.startswith(b"line_id,request,request_title")
        assert after.stdout == before.stdout
    finally:
        relay.close()


def test_restoring_a_missing_or_broken_file_says_so_and_changes_nothing(tmp_path):
    settings_dict = connection.settings_dict
    relay = Relay(_target(settings_dict))
    try:
        url = f"postgres://{settings_dict['USER']}:{settings_dict.get('PASSWORD') or ''}@127.0.0.1:{relay.port}/{settings_dict['NAME']}"
        missing = manage(url, "restore_database", str(tmp_path / "nope.dump"))
        assert missing.returncode == 1
        assert f"There is no backup file at {tmp_path / 'nope.dump'}." in missing.stderr.decode()
        broken = tmp_path / "broken.dump"
        broken.write_bytes(b"not a dump")
        result = manage(url, "restore_database", str(broken))
        assert result.returncode == 1
        assert "pg_restore failed; nothing was changed" in result.stderr.decode()
    finally:
        relay.close()


def _schemas(dsn: dict) -> set[str]:
    with psycopg2.connect(**dsn) as db, db.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'release%%'")
        return {name for (name,) in cursor.fetchall()}


def _sql(dsn: dict, statement: str) -> None:
    db = psycopg2.connect(**dsn)
    db.autocommit = True
    with db.cursor() as cursor:
        cursor.execute(statement)
    db.close()


def test_a_restore_never_leaves_a_release_cut_after_the_backup(empty_database, tmp_path):
    """A release cut after the dump lives in a schema the dump lacks: restoring over it is refused
    (nothing changed) unless asked to drop it, and then it goes; a release in the dump stays."""
    settings_dict = connection.settings_dict
    params = connection.get_connection_params()
    drill_dsn = params | {"dbname": empty_database}
    relay = Relay(_target(settings_dict))
    try:
        login = f"{settings_dict['USER']}:{settings_dict.get('PASSWORD') or ''}@127.0.0.1:{relay.port}"
        original, drill = (
            f"postgres://{login}/{settings_dict['NAME']}",
            f"postgres://{login}/{empty_database}",
        )
        dump = tmp_path / "drill.dump"
        _sql(params, 'CREATE SCHEMA "release_2099_01_1"; CREATE TABLE "release_2099_01_1".t (x int)')
        try:
            assert manage(original, "backup_database", str(dump)).returncode == 0
        finally:
            _sql(params, 'DROP SCHEMA "release_2099_01_1" CASCADE')
        assert manage(drill, "restore_database", str(dump)).returncode == 0
        # Then a release is cut on the restored database: a schema the dump does not hold.
        _sql(drill_dsn, 'CREATE SCHEMA "release_2099_01_2"; CREATE TABLE "release_2099_01_2".t (x int)')
        _sql(drill_dsn, "DELETE FROM cases_reportedfigure")
        before = counts(drill_dsn)

        refused = manage(drill, "restore_database", str(dump))
        assert refused.returncode == 1
        # The command's last word (a library may warn above it, e.g. with XDG_RUNTIME_DIR unset).
        assert refused.stderr.decode().splitlines()[-1] == (
            "CommandError: Nothing was changed: this database holds release(s) 2099.01.2, cut after "
            "the backup was made. Restoring it would unpublish them, and the next release would "
            "reuse their numbers for different data. Back them up first (their files are at "
            "/releases/); to restore anyway and drop them, run again with --drop-newer-releases."
        )
        assert counts(drill_dsn) == before
        assert _schemas(drill_dsn) >= {"release_2099_01_1", "release_2099_01_2"}

        forced = manage(drill, "restore_database", "--drop-newer-releases", str(dump))
        assert forced.returncode == 0, forced.stderr.decode()
        assert forced.stdout.decode().startswith("Dropped release 2099.01.2 (cut after the backup).\n")
        assert counts(drill_dsn) == counts(params)
        assert "release_2099_01_2" not in _schemas(drill_dsn)
        assert "release_2099_01_1" in _schemas(drill_dsn)
    finally:
        relay.close()
