"""Who changed what, and how: fills the extra columns of every history row (django-simple-history).

The admin's changes are attributed by simple_history's middleware (the request's user). Imports,
rollbacks, reviews and the loader say what they are with `audit(...)`, which every history row
written inside it carries: the way the change was made, the import batch, and the user.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from simple_history.models import HistoricalRecords

from forces.models import AuditedChange


@dataclass(frozen=True)
class AuditContext:
    via: str
    import_batch: object = None
    user: object = None


_current: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


@contextmanager
def audit(*, via: str, import_batch=None, user=None) -> Iterator[None]:
    """Label every history row written inside the block."""
    token = _current.set(AuditContext(via=via, import_batch=import_batch, user=user))
    try:
        yield
    finally:
        _current.reset(token)


def label_history_row(sender, history_instance, **kwargs) -> None:
    """pre_create_historical_record handler: say how the change was made."""
    context = _current.get()
    if context is None:
        request = getattr(HistoricalRecords.context, "request", None)
        context = AuditContext(via=AuditedChange.Via.ADMIN if request else AuditedChange.Via.SHELL)
    history_instance.via = context.via
    if context.import_batch is not None and hasattr(history_instance, "import_batch_id"):
        history_instance.import_batch_id = context.import_batch.pk
    if history_instance.history_user_id is None and context.user is not None and context.user.pk:
        history_instance.history_user_id = context.user.pk
