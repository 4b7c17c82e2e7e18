"""Public reads from a streaming replica when one is configured (DATABASE_REPLICA_URL); the rest
from the primary (default).

Only what the public pages read goes to the replica, and only while serving a public page: a GET
or HEAD outside /admin/, for one of the public models below. Everything else reads the primary:
sessions, users and groups, login throttling (axes), change requests, imports, the download log,
history rows, every /admin/ page, every non-GET request, management commands and anything else run
outside a request. So signing in, signing out, a deactivated user's ended sessions and a reviewer's
approve → redirect → list never depend on replica lag. A public page may show data a moment older
than the primary's (the replica's lag); a request that writes (a download's log row) is pinned to
the primary for the rest of it. Migrations run on the primary only.
"""

from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
# The models the public pages, downloads and API read: published data only.
PUBLIC_MODELS = frozenset(
    {
        "forces.force",
        "forces.workforcesnapshot",
        "cases.source",
        "cases.foirequest",
        "cases.foireturn",
        "cases.caseline",
        "cases.caselinerollup",
        "cases.caselinewording",
        "cases.reportedfigure",
        "reports.release",
        "reports.releasefile",
    }
)
# Paths that are never public reads, whatever the method.
PRIMARY_PATHS = ("/admin/",)

# True only while a public GET/HEAD is being served and nothing has been written yet.
_replica_allowed: ContextVar[bool] = ContextVar("replica_allowed", default=False)


def pin_to_primary() -> None:
    _replica_allowed.set(False)


def is_public_read(request) -> bool:
    return request.method in ("GET", "HEAD") and not request.path.startswith(PRIMARY_PATHS)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            REPLICA in settings.DATABASES
            and _replica_allowed.get()
            and model._meta.label_lower in PUBLIC_MODELS
            and not _in_transaction()
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        pin_to_primary()
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of default: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def _in_transaction() -> bool:
    from django.db import connections

    return connections["default"].in_atomic_block


class PinResetMiddleware:
    """Each request decides afresh whether it may read the replica (threads and workers are reused)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _replica_allowed.set(is_public_read(request))
        try:
            return self.get_response(request)
        finally:
            _replica_allowed.reset(token)
