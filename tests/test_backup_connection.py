"""pg_dump and pg_restore connect as the app does: DATABASE_URL's TLS options reach them."""

import os

import pytest
from django.db import connection

from misuse_tracker.backup import _connection_args


@pytest.fixture
def settings_dict(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "HOST", "db.internal")
    monkeypatch.setitem(connection.settings_dict, "PORT", 5432)
    monkeypatch.setitem(connection.settings_dict, "NAME", "misuse_tracker")
    monkeypatch.setitem(connection.settings_dict, "USER", "tracker")
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "s3cret")
    for name in [name for name in os.environ if name.startswith("PG")]:
        monkeypatch.delenv(name)
    return connection.settings_dict


def test_tls_options_of_database_url_reach_pg_dump_and_pg_restore(settings_dict, monkeypatch):
    # As dj-database-url reads postgres://…?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem&…
    monkeypatch.setitem(
        settings_dict,
        "OPTIONS",
        {
            "sslmode": "verify-full",
            "sslrootcert": "/etc/ssl/db-ca.pem",
            "sslcert": "/etc/ssl/client.pem",
            "sslkey": "/etc/ssl/client.key",
            "connect_timeout": 10,
            "isolation_level": 1,  # Django's own, not libpq's: not passed on
        },
    )
    args, env = _connection_args("default")
    assert args == [
        "--dbname", "misuse_tracker", "--username", "tracker", "--host", "db.internal", "--port", "5432",
    ]  # fmt: skip
    assert {name: env.get(name) for name in env if name.startswith("PG")} == {
        "PGPASSWORD": "s3cret",
        "PGSSLMODE": "verify-full",
        "PGSSLROOTCERT": "/etc/ssl/db-ca.pem",
        "PGSSLCERT": "/etc/ssl/client.pem",
        "PGSSLKEY": "/etc/ssl/client.key",
        "PGCONNECT_TIMEOUT": "10",
    }


def test_without_options_nothing_is_added(settings_dict, monkeypatch):
    monkeypatch.setitem(settings_dict, "OPTIONS", {})
    _args, env = _connection_args("default")
    assert "PGSSLMODE" not in env and env["PGPASSWORD"] == "s3cret"
