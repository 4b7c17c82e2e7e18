"""Reads from a streaming replica when one is configured (DATABASE_REPLICA_URL); writes to default.

A request that has written anything (an admin save, a download's log row) reads its own writes: it
is pinned to the primary for the rest of the request, so replica lag never shows a user a stale
copy of what they just did. Migrations run on the primary only.
"""

from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


def pin_to_primary() -> None:
    _pinned.set(True)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if REPLICA in settings.DATABASES and not _pinned.get() and not _in_transaction():
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
    """Each request starts unpinned (threads and workers are reused)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _pinned.set(request.method not in ("GET", "HEAD"))
        try:
            return self.get_response(request)
        finally:
            _pinned.reset(token)
