"""The publishing gate: nothing public changes without a second person.

Every write to sources, requests, returns, case lines, reported figures, forces and workforce
rows — from the admin, an import, the loader, a command or the shell — goes through `record_save`
and `record_delete`; rolling back an import goes through `import_batch_rollback`. A change to
something not yet public (a draft return and its lines, a source or request nothing public
cites) is written at once. A change to anything public, by anyone, becomes a ChangeRequest: the
public keeps seeing the approved version until another reviewer approves it
(`change_request_approve`), which applies it in one transaction through the model's own
validation. Draft returns reach the public through `foi_returns_approve`, which refuses a return
without a source and a reviewer who wrote anything it makes public (four eyes, superusers included
unless PUBLISHING_ALLOW_SELF_APPROVAL is on). An approved change is checked again against the same
rule, so no public return is left without a source. Withdrawing a return publishes nothing, so one
reviewer may do it at once.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone

from cases.audit import audit
from cases.change_requests import ChangeRequest
from cases.models import CaseLine, FoiRequest, FoiReturn, ImportBatch, ReportedFigure, ReviewState, Source
from forces.models import AuditedChange, Force, WorkforceSnapshot

# Forces and their workforce numbers are public from the start: every force page shows them and
# every public rate per 1,000 divides by them. The forces app does not know about the gate (apps
# depend downward); the gate, here, takes them in, and cases/admin.py registers their admin.
ALWAYS_PUBLIC = (ReportedFigure, Force, WorkforceSnapshot)
GATED_MODELS = (Source, FoiRequest, FoiReturn, CaseLine, ReportedFigure, Force, WorkforceSnapshot)
# Set only by foi_returns_approve / foi_returns_withdraw, never by an edit.
REVIEW_FIELDS = {"review_state", "approved_by", "approved_at"}
# Kept by the system: which import made a row.
SYSTEM_FIELDS = REVIEW_FIELDS | {"id", "import_batch"}
REVIEW_PERMISSION = "cases.approve_changerequest"


class PublishingRefused(Exception):
    """A change or approval the gate will not make; the message says why and what to do."""


@dataclass(frozen=True)
class Recorded:
    """What happened to a write: applied to the live tables, or waiting for review."""

    instance: models.Model | None
    change_request: ChangeRequest | None = None

    @property
    def pending(self) -> bool:
        return self.change_request is not None


# --- What is public -----------------------------------------------------------------------


def is_public(instance: models.Model) -> bool:
    """Whether the stored row (not the unsaved edit in memory) is on the public pages."""
    if instance.pk is None:
        return False
    if isinstance(instance, ALWAYS_PUBLIC):
        return True
    if isinstance(instance, FoiReturn):
        return FoiReturn.objects.public().filter(pk=instance.pk).exists()
    if isinstance(instance, CaseLine):
        return CaseLine.objects.public().filter(pk=instance.pk).exists()
    if isinstance(instance, FoiRequest):
        return FoiRequest.objects.public().filter(pk=instance.pk).exists()
    if isinstance(instance, Source):
        return (
            ReportedFigure.objects.filter(source=instance.pk).exists()
            or FoiReturn.objects.public().filter(sources=instance.pk).exists()
            or CaseLine.objects.public().filter(sources=instance.pk).exists()
            or FoiRequest.objects.public().filter(sources=instance.pk).exists()
        )
    raise TypeError(f"{type(instance).__name__} is not published content.")


def _public_after(instance: models.Model) -> bool:
    """Whether the edited row would be public once written (it moves into, or is, public content)."""
    if isinstance(instance, ALWAYS_PUBLIC):
        return True
    if isinstance(instance, CaseLine) and instance.foi_return_id:
        return FoiReturn.objects.public().filter(pk=instance.foi_return_id).exists()
    return False


# --- Values as JSON --------------------------------------------------------------------------


def _editable_fields(model) -> list:
    # Generated columns (the search vector) are the database's, never an editor's change.
    return [f for f in model._meta.concrete_fields if f.name not in SYSTEM_FIELDS and not f.generated]


def _m2m_fields(model) -> list:
    return list(model._meta.many_to_many)


def _json(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _snapshot(instance, names: list[str]) -> dict:
    values = {}
    for name in names:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(instance.pk and getattr(instance, name).values_list("pk", flat=True) or [])
        else:
            values[name] = _json(field.value_from_object(instance))
    return values


def _assign(instance, values: dict) -> dict:
    """Set the concrete fields; return the many-to-many ones (set once the row is saved)."""
    m2m = {}
    for name, raw in values.items():
        field = instance._meta.get_field(name)
        if field.many_to_many:
            m2m[name] = raw
        else:
            setattr(instance, field.attname, field.to_python(raw))
    return m2m


def _describe(instance) -> str:
    return f"{instance._meta.verbose_name} “{instance}”"[:300]


# --- Writes ----------------------------------------------------------------------------------


def record_save(
    *, instance: models.Model, user, m2m: dict | None = None, via: str = AuditedChange.Via.SHELL
) -> Recorded:
    """Add or change one row (values already on `instance`, many-to-many in `m2m` as lists).

    Written at once if neither the stored row nor the result is public; otherwise held as a
    ChangeRequest for another reviewer, and the live row is left as it is.
    """
    model = type(instance)
    if model not in GATED_MODELS:
        raise TypeError(f"{model.__name__} is not published content.")
    m2m = {name: sorted(int(getattr(v, "pk", v)) for v in values) for name, values in (m2m or {}).items()}
    with transaction.atomic():
        stored = (
            model.objects.select_for_update().filter(pk=instance.pk).order_by("pk").first()
            if instance.pk
            else None
        )
        if stored is not None and (
            isinstance(instance, FoiReturn)
            and any(getattr(instance, f) != getattr(stored, f) for f in ("review_state", "approved_at"))
        ):
            raise PublishingRefused(
                "A return is approved or withdrawn by a reviewer's decision, not by an edit."
            )
        if stored is None and isinstance(instance, FoiReturn) and instance.review_state != ReviewState.DRAFT:
            raise PublishingRefused("A new return starts as a draft: a reviewer approves it.")
        names = [f.name for f in _editable_fields(model)]
        after = _snapshot(instance, names) | m2m
        if stored is None:
            changed = after
            before = {}
        else:
            current = _snapshot(stored, names + list(m2m))
            changed = {name: value for name, value in after.items() if current.get(name) != value}
            before = {name: current[name] for name in changed}
            if not changed:
                return Recorded(stored)
        gated = (stored is not None and is_public(stored)) or _public_after(instance)
        if gated:
            change_request = ChangeRequest.objects.create(
                content_type=ContentType.objects.get_for_model(model),
                object_id=stored.pk if stored is not None else None,
                object_repr=_describe(stored if stored is not None else instance),
                action=ChangeRequest.Action.CHANGE if stored is not None else ChangeRequest.Action.CREATE,
                values=changed,
                before=before,
                via=via,
                submitted_by=user,
                submitted_at=timezone.now(),
            )
            return Recorded(stored, change_request)
        with audit(via=via, user=user):
            instance.save()
            for name, pks in m2m.items():
                getattr(instance, name).set(pks)
        return Recorded(instance)


def record_delete(*, instance: models.Model, user, via: str = AuditedChange.Via.SHELL) -> Recorded:
    """Delete one row: at once if nothing of it (or of what it takes with it) is public, else for review."""
    if type(instance) not in GATED_MODELS:
        raise TypeError(f"{type(instance).__name__} is not published content.")
    with transaction.atomic():
        _check_deletable(instance)
        if _deletion_touches_public(instance):
            change_request = ChangeRequest.objects.create(
                content_type=ContentType.objects.get_for_model(instance),
                object_id=instance.pk,
                object_repr=_describe(instance),
                action=ChangeRequest.Action.DELETE,
                before=_snapshot(instance, [f.name for f in _editable_fields(type(instance))]),
                via=via,
                submitted_by=user,
                submitted_at=timezone.now(),
            )
            return Recorded(instance, change_request)
        with audit(via=via, user=user):
            instance.delete()
        return Recorded(None)


def _check_deletable(instance) -> None:
    """Refuse, when it is asked for, a deletion the database would refuse (rows that PROTECT it)."""
    collector = Collector(using=instance._state.db or "default")
    try:
        collector.collect([instance])
    except (ProtectedError, RestrictedError) as error:
        blocking = list(getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", []))
        named = "; ".join(f"{_describe(obj)}" for obj in blocking[:3])
        more = f" and {len(blocking) - 3} more" if len(blocking) > 3 else ""
        raise PublishingRefused(
            f"{_describe(instance)[:1].upper()}{_describe(instance)[1:]} cannot be deleted: "
            f"{len(blocking)} other row{'s' if len(blocking) != 1 else ''} still depend on it "
            f"({named}{more}). Change or delete those first."
        ) from error


def _deletion_touches_public(instance) -> bool:
    if is_public(instance):
        return True
    # A draft line deleted from a draft return never was public; a request's cascade may be.
    if isinstance(instance, FoiRequest):
        return instance.returns.public().exists() or instance.figures.exists()
    return False


# --- Reviewing changes -----------------------------------------------------------------------


def can_review(user) -> bool:
    return bool(user and user.is_active and user.has_perm(REVIEW_PERMISSION))


def _four_eyes(user, author_ids: set, what: str) -> None:
    if user.pk in author_ids and not (user.is_superuser and settings.PUBLISHING_ALLOW_SELF_APPROVAL):
        raise PublishingRefused(f"You {what}: another reviewer must approve it (four eyes).")


REVIEWED_REASON = "Change {pk}, approved by {reviewer}"
REVIEWED_REASON_PATTERN = r"^Change [0-9]+, approved by "


def change_request_approve(*, change_request: ChangeRequest, user) -> models.Model | None:
    """Apply a pending change to the live tables, through the model's validation; all or nothing."""
    if not can_review(user):
        raise PublishingRefused("Only a reviewer can approve a change to published content.")
    with transaction.atomic():
        change_request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
        if not change_request.is_pending:
            raise PublishingRefused(
                f"{change_request} was {change_request.get_state_display().lower()} already."
            )
        _four_eyes(user, {change_request.submitted_by_id}, "submitted this change")
        model = change_request.content_type.model_class()
        author = change_request.submitted_by
        try:
            with transaction.atomic():
                if model is ImportBatch:
                    instance = _apply_rollback(change_request, reviewer=user)
                else:
                    touched = _returns_touched(change_request, model)
                    with audit(via=change_request.via, user=author):
                        instance = _apply(change_request, model, reviewer=user)
                    _check_still_sourced(change_request, touched)
        except (ProtectedError, RestrictedError) as error:
            raise PublishingRefused(
                f"{change_request} cannot be applied: other rows still depend on it. "
                "Change or delete those first, then reject this one and submit it again."
            ) from error
        except IntegrityError as error:
            detail = str(error.__cause__ or error).splitlines()[0]
            raise PublishingRefused(
                f"{change_request} cannot be applied: the database refused it ({detail})."
            ) from error
        change_request.state = ChangeRequest.State.APPROVED
        change_request.decided_by = user
        change_request.decided_at = timezone.now()
        change_request.save()
        return instance


def _returns_touched(change_request: ChangeRequest, model) -> set:
    """The returns whose sourcing a change can alter (read before it is applied)."""
    target = change_request.object_id
    if model is FoiReturn:
        return {target} if target else set()
    if model is CaseLine:
        ids = set(CaseLine.objects.filter(pk=target or 0).values_list("foi_return_id", flat=True))
        if change_request.values.get("foi_return"):
            ids.add(int(change_request.values["foi_return"]))
        return ids
    if model is Source and target:
        return set(FoiReturn.objects.filter(sources=target).values_list("pk", flat=True)) | set(
            CaseLine.objects.filter(sources=target).values_list("foi_return_id", flat=True)
        )
    return set()


def _check_still_sourced(change_request: ChangeRequest, return_ids: set) -> None:
    """A public return keeps a source: the rule approval applies, applied again after every change."""
    for foi_return in FoiReturn.objects.public().filter(pk__in=return_ids).order_by("pk"):
        if not return_has_source(foi_return):
            raise PublishingRefused(
                f"{change_request} cannot be applied: the public return “{foi_return}” would cite no "
                "source. Add a source to the return (or to every line) first, or withdraw it."
            )


def _apply(change_request: ChangeRequest, model, *, reviewer):
    reason = REVIEWED_REASON.format(pk=change_request.pk, reviewer=reviewer)
    if change_request.action == ChangeRequest.Action.CREATE:
        instance = model()
    else:
        instance = (
            model.objects.select_for_update().filter(pk=change_request.object_id).order_by("pk").first()
        )
        if instance is None:
            raise PublishingRefused(f"{change_request} cannot be applied: the row no longer exists.")
        current = _snapshot(instance, list(change_request.before))
        if current != change_request.before:
            raise PublishingRefused(
                f"{change_request} cannot be applied: “{instance}” has changed since it was submitted. "
                "Reject it and make the change again on the current version."
            )
    if change_request.action == ChangeRequest.Action.DELETE:
        instance._change_reason = reason
        instance._history_user = change_request.submitted_by
        instance.delete()
        return None
    m2m = _assign(instance, change_request.values)
    try:
        instance.full_clean()
    except ValidationError as error:
        raise PublishingRefused(f"{change_request} cannot be applied: " + " ".join(error.messages)) from error
    instance._change_reason = reason
    # The history names who wrote the change; the change request names who approved it.
    instance._history_user = change_request.submitted_by
    instance.save()
    for name, pks in m2m.items():
        getattr(instance, name).set(pks)
    return instance


def change_request_reject(*, change_request: ChangeRequest, user, note: str = "") -> None:
    """Refuse a pending change; the live row stays as it is. The person who submitted it may withdraw it."""
    with transaction.atomic():
        change_request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
        if not change_request.is_pending:
            raise PublishingRefused(
                f"{change_request} was {change_request.get_state_display().lower()} already."
            )
        if not can_review(user) and user.pk != change_request.submitted_by_id:
            raise PublishingRefused("Only a reviewer, or the person who submitted it, can reject a change.")
        change_request.state = ChangeRequest.State.REJECTED
        change_request.decided_by = user
        change_request.decided_at = timezone.now()
        change_request.decision_note = note
        change_request.save()


# --- Approving and withdrawing draft returns ---------------------------------------------


def return_has_source(foi_return: FoiReturn) -> bool:
    """A return is sourced if it cites a source, or it has lines and every one of them does."""
    if foi_return.sources.exists():
        return True
    lines = foi_return.lines.all()
    return lines.exists() and not lines.filter(sources__isnull=True).exists()


def _unreviewed_authors(history, **filters) -> set:
    """Who wrote these history rows, leaving out reviews, the loader and changes a second person approved."""
    return set(
        history.filter(history_user__isnull=False, **filters)
        .exclude(via__in=[AuditedChange.Via.REVIEW, AuditedChange.Via.LOADER])
        .exclude(history_change_reason__regex=REVIEWED_REASON_PATTERN)
        .values_list("history_user_id", flat=True)
    )


def return_authors(foi_return: FoiReturn) -> set:
    """Who wrote anything approving this return makes public: the return, its lines, the sources
    they cite and the request it answers (or imported any of them), unless a second person
    already approved that write."""
    authors = _unreviewed_authors(FoiReturn.history, id=foi_return.pk)
    authors |= _unreviewed_authors(CaseLine.history, foi_return_id=foi_return.pk)
    # What is public already was made public by someone else's approval: only what this one
    # publishes counts (the sources of the return and its lines, the request and its sources).
    source_ids = set(foi_return.sources.values_list("pk", flat=True)) | set(
        Source.objects.filter(case_lines__foi_return=foi_return).values_list("pk", flat=True)
    )
    if not FoiRequest.objects.public().filter(pk=foi_return.request_id).exists():
        authors |= _unreviewed_authors(FoiRequest.history, id=foi_return.request_id)
        source_ids |= set(Source.objects.filter(requests=foi_return.request_id).values_list("pk", flat=True))
    source_ids = {pk for pk in source_ids if not is_public(Source(pk=pk))}
    authors |= _unreviewed_authors(Source.history, id__in=source_ids)
    batches = ImportBatch.objects.filter(
        Q(pk=foi_return.import_batch_id)
        | Q(lines__foi_return=foi_return)
        | Q(pk__in=Source.objects.filter(pk__in=source_ids).values("import_batch"))
    )
    authors |= {pk for pk in batches.values_list("imported_by_id", flat=True) if pk}
    return authors


@dataclass
class Approval:
    approved: list
    refused: list  # (return, reason)


@transaction.atomic
def foi_returns_approve(*, foi_returns, user) -> Approval:
    """Approve draft returns for publication; each one sourced and authored by someone else."""
    if not (user and user.has_perm("cases.approve_foireturn")):
        raise PublishingRefused("Only a reviewer can approve a return.")
    result = Approval([], [])
    with audit(via=AuditedChange.Via.REVIEW, user=user):
        drafts = FoiReturn.objects.drafts().filter(pk__in=foi_returns.values("pk"))
        for foi_return in drafts.order_by("pk").select_for_update(of=("self",)):
            if not return_has_source(foi_return):
                result.refused.append(
                    (foi_return, "it cites no source: add the reply's address to the return or every line")
                )
                continue
            try:
                _four_eyes(user, return_authors(foi_return), "imported or edited this return")
            except PublishingRefused:
                result.refused.append(
                    (foi_return, "you imported or edited it: another reviewer must approve it (four eyes)")
                )
                continue
            foi_return.review_state = ReviewState.APPROVED
            foi_return.approved_by = user
            foi_return.approved_at = timezone.now()
            foi_return.save(update_fields=["review_state", "approved_by", "approved_at"])
            result.approved.append(foi_return)
    return result


@transaction.atomic
def foi_returns_withdraw(*, foi_returns, user) -> int:
    """Take approved returns off the public pages (back to draft); returns how many changed."""
    if not (user and user.is_active and user.has_perm("cases.approve_foireturn")):
        raise PublishingRefused("Only a reviewer can withdraw a return from publication.")
    withdrawn = 0
    with audit(via=AuditedChange.Via.REVIEW, user=user):
        approved = FoiReturn.objects.public().filter(pk__in=foi_returns.values("pk"))
        for foi_return in approved.order_by("pk").select_for_update(of=("self",)):
            foi_return.review_state = ReviewState.DRAFT
            foi_return.approved_by = None
            foi_return.approved_at = None
            foi_return.save(update_fields=["review_state", "approved_by", "approved_at"])
            withdrawn += 1
    return withdrawn


# --- Rolling back an import --------------------------------------------------------------------


@dataclass(frozen=True)
class Rollback:
    """What a rollback did: the rows deleted, or the change request it waits on."""

    counts: dict
    change_request: ChangeRequest | None = None

    @property
    def pending(self) -> bool:
        return self.change_request is not None


def import_batch_rollback(*, batch: ImportBatch, user) -> Rollback:
    """Undo one import: delete the returns, lines and sources it created, as one unit.

    An import nothing of which is public yet is undone at once, by anyone allowed to roll back
    imports. One that holds public content (an approved return, or a line in one) is a deletion
    of public content: it becomes a change request, and another reviewer approves it (then it is
    undone, in one transaction) or rejects it; the public pages keep everything until then.
    """
    if not (user and user.is_active and user.has_perm("cases.rollback_importbatch")):
        raise PublishingRefused("Only an editor or a reviewer can roll back an import.")
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state == ImportBatch.State.ROLLED_BACK:
            raise PublishingRefused(f"Import {batch.pk} was already rolled back.")
        public = _public_in_batch(batch)
        if not public:
            return Rollback(_rollback_now(batch, user=user))
        waiting = pending_for(batch).first()
        if waiting is not None:
            raise PublishingRefused(
                f"Rolling back import {batch.pk} is waiting for review already ({waiting}): "
                "a reviewer approves or rejects it under “Changes waiting for review”."
            )
        change_request = ChangeRequest.objects.create(
            content_type=ContentType.objects.get_for_model(ImportBatch),
            object_id=batch.pk,
            object_repr=(
                f"import {batch.pk} (roll back: {public} public return{'s' if public != 1 else ''} "
                "leave the site)"
            )[:300],
            action=ChangeRequest.Action.DELETE,
            before={"state": batch.state},
            via=AuditedChange.Via.ROLLBACK,
            submitted_by=user,
            submitted_at=timezone.now(),
        )
        return Rollback({"returns": 0, "lines": 0, "sources": 0}, change_request)


def _public_in_batch(batch: ImportBatch) -> int:
    """How many public returns the rollback would take off the site (its own, or holding its lines)."""
    return (
        FoiReturn.objects.public()
        .filter(Q(import_batch=batch) | Q(lines__import_batch=batch))
        .distinct()
        .count()
    )


def _apply_rollback(change_request: ChangeRequest, *, reviewer) -> None:
    if change_request.action != ChangeRequest.Action.DELETE:
        raise PublishingRefused(f"{change_request} cannot be applied: an import can only be rolled back.")
    batch = ImportBatch.objects.select_for_update().filter(pk=change_request.object_id).first()
    if batch is None or batch.state == ImportBatch.State.ROLLED_BACK:
        raise PublishingRefused(f"{change_request} cannot be applied: the import was rolled back already.")
    _rollback_now(batch, user=change_request.submitted_by)
    return None


def _rollback_now(batch: ImportBatch, *, user) -> dict:
    counts = {"returns": 0, "lines": 0, "sources": 0}
    with audit(via=AuditedChange.Via.ROLLBACK, import_batch=batch, user=user):
        lines = CaseLine.objects.filter(Q(import_batch=batch) | Q(foi_return__import_batch=batch))
        counts["lines"] = lines.count()
        for line in lines:
            line.delete()
        for foi_return in FoiReturn.objects.filter(import_batch=batch):
            foi_return.delete()
            counts["returns"] += 1
        for source in Source.objects.filter(import_batch=batch):
            cited = (
                source.requests.exists()
                or source.foi_returns.exists()
                or source.case_lines.exists()
                or source.figures.exists()
            )
            if cited:
                source.import_batch = None
                source.save(update_fields=["import_batch"])
            else:
                source.delete()
                counts["sources"] += 1
        batch.state = ImportBatch.State.ROLLED_BACK
        batch.rolled_back_by = user if user is not None and user.pk else None
        batch.rolled_back_at = timezone.now()
        batch.save()
    return counts


def pending_for(instance) -> models.QuerySet:
    return ChangeRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(instance),
        object_id=instance.pk,
        state=ChangeRequest.State.PENDING,
    )
