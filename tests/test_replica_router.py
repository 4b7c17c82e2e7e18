"""With DATABASE_REPLICA_URL set, public reads go to the replica and writes (and what follows them) to default."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.test_production_server import Relay, _target

pytestmark = pytest.mark.django_db

PROBE = """
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import connections
from django.test import Client
from django.test.utils import setup_test_environment
from axes.models import AccessAttempt
from cases.change_requests import ChangeRequest
from cases.models import ImportBatch, Source
from misuse_tracker import routers
from reports.models import ExportLog
setup_test_environment()

def used():
    counts = {alias: len(connections[alias].queries) for alias in ("default", "replica")}
    for alias in counts:
        connections[alias].queries_log.clear()
    return counts

print("outside", Source.objects.all().db)
list(Source.objects.all()[:1]); print("read", used())
token = routers._replica_allowed.set(True)  # as while a public page is served
print("public", " ".join(m._meta.label + "=" + routers.ReplicaRouter().db_for_read(m)
      for m in (Source, Session, User, AccessAttempt, ChangeRequest, ImportBatch, ExportLog)))
routers._replica_allowed.reset(token)
assert Client().get("/forces/").status_code == 200; print("page", used())
last = ExportLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
assert Client().get("/forces.csv").status_code == 200
print("download", used())
ExportLog.objects.filter(pk__gt=last).delete()  # the probe's own log row, not the suite's
user = User.objects.create_superuser("replica-probe", password="x-probe-password-1")
client = Client()
client.force_login(user)
used()
assert client.get("/admin/").status_code == 200
assert client.get("/admin/cases/source/").status_code == 200; print("admin", used())
user.delete()
"""


def test_public_reads_go_to_the_replica_and_writes_to_the_primary():
    settings_dict = connection.settings_dict
    primary, replica = Relay(_target(settings_dict)), Relay(_target(settings_dict))
    login = f"{settings_dict['USER']}:{settings_dict.get('PASSWORD') or ''}"
    try:
        env = os.environ | {
            "DEBUG": "1",
            "DATABASE_URL": f"postgres://{login}@127.0.0.1:{primary.port}/{settings_dict['NAME']}",
            "DATABASE_REPLICA_URL": f"postgres://{login}@127.0.0.1:{replica.port}/{settings_dict['NAME']}",
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", PROBE],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        primary.close()
        replica.close()
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    # Outside a request (a management command, the shell) every read is the primary's.
    assert lines["outside"] == "default"
    assert eval(lines["read"]) == {"default": 1, "replica": 0}
    # While a public page is served, only the public models are read from the replica.
    assert lines["public"] == (
        "cases.Source=replica sessions.Session=default auth.User=default axes.AccessAttempt=default "
        "cases.ChangeRequest=default cases.ImportBatch=default reports.ExportLog=default"
    )
    # The page's ORM reads go to the replica (its raw-SQL dataset version reads the primary).
    assert eval(lines["page"])["replica"] > 0
    # A download writes its log row, so that request reads from the primary after it.
    assert eval(lines["download"])["default"] > 0
    # The admin (its session, its user, its lists) never reads the replica: no login bounces on lag.
    admin = eval(lines["admin"])
    assert admin["replica"] == 0 and admin["default"] > 0


def test_without_a_replica_everything_uses_default():
    from cases.models import Source
    from misuse_tracker.routers import ReplicaRouter

    assert "replica" not in settings.DATABASES
    assert ReplicaRouter().db_for_read(Source) == "default"
    assert ReplicaRouter().allow_migrate("replica", "cases") is False
