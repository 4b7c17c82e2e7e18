"""Writes to forces: loading the reference list of forces and their workforce."""

import csv
from decimal import Decimal
from pathlib import Path

from forces.models import AuditedChange, Force, WorkforceSnapshot

NATIONAL_REGION = "National (non-geographic)"


class ReferenceDataError(Exception):
    """A reference file holds something the loader cannot take; nothing is written."""


# What upsert says it did. KEPT: a person changed (or deleted) the row through the publishing
# gate since the loader last wrote it, so the loader leaves it as the reviewers left it.
KEPT = "kept: changed in review since the last load"


def changed_since_load(row) -> bool:
    """Whether someone other than the loader wrote this row last (a review decision is not an edit)."""
    latest = (
        row.history.exclude(via=AuditedChange.Via.REVIEW).order_by("-history_date", "-history_id").first()
    )
    return latest is not None and latest.via != AuditedChange.Via.LOADER


def deleted_since_load(model, lookup: dict) -> bool:
    """Whether a row with this identity was deleted, by someone other than the loader, since it loaded it."""
    latest = model.history.filter(**lookup).order_by("-history_date", "-history_id").first()
    return latest is not None and latest.history_type == "-" and latest.via != AuditedChange.Via.LOADER


def _create(instance, lookup: dict) -> tuple[object, str]:
    instance.save()
    return instance, "created"


def upsert(model, lookup: dict, values: dict, *, create=_create) -> tuple[object, str]:
    """Create or update one row, saving only when something differs.

    Returns the row and what happened: "created", "updated", "unchanged" or KEPT, so that loading
    the same data twice writes nothing and says so. The loader updates a row only while it is as
    the loader last wrote it, and never brings back a row a person deleted. `create` makes a new
    row (the cases app passes one that sends public additions to review; it may return no row).
    """
    row = model.objects.filter(**lookup).first()
    if row is None:
        if deleted_since_load(model, lookup):
            return None, KEPT
        return create(model(**lookup, **values), lookup)
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row, "unchanged"
    if changed_since_load(row):
        return row, KEPT
    for name in changed:
        setattr(row, name, values[name])
    row.full_clean(validate_unique=False, validate_constraints=False)
    row.save(update_fields=changed)
    return row, "updated"


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _decimal(value: str) -> Decimal | None:
    return Decimal(value) if value.strip() else None


def forces_load(*, path: Path, tally, create=_create) -> dict[str, Force]:
    forces = {}
    for row in read_csv(path):
        national = row["region"] == NATIONAL_REGION
        force, outcome = upsert(
            Force,
            {"slug": row["slug"]},
            {
                "name": row["name"],
                "short_name": row["short_name"],
                "country": row["country"],
                "region": row["region"],
                "kind": Force.Kind.NATIONAL if national else Force.Kind.TERRITORIAL,
                "ons_code": row["ons_code"],
                "data_police_uk_id": row["data_police_uk_id"],
                "source_note": row["source"],
            },
            create=create,
        )
        tally("forces", outcome)
        # None: deleted in review since the last load, or its addition waits for review.
        forces[row["slug"]] = force
    return forces


def workforce_load(*, path: Path, forces: dict[str, Force], tally, create=_create) -> None:
    measures = {"FTE": WorkforceSnapshot.Measure.FTE, "headcount": WorkforceSnapshot.Measure.HEADCOUNT}
    for number, row in enumerate(read_csv(path), start=2):
        force = forces.get(row["slug"])
        if force is None and row["slug"] in forces:
            tally("workforce snapshots", KEPT)  # its force was deleted in review, or waits for it
            continue
        if force is None:
            raise ReferenceDataError(f"{path.name} line {number}: unknown force slug {row['slug']!r}.")
        if row["measure"] not in measures:
            raise ReferenceDataError(
                f"{path.name} line {number}: measure {row['measure']!r} is not one of FTE, headcount."
            )
        _, outcome = upsert(
            WorkforceSnapshot,
            {"force": force, "date": row["date"], "measure": measures[row["measure"]]},
            {
                "officers": _decimal(row["officers"]),
                "staff": _decimal(row["staff"]),
                "pcsos": _decimal(row["pcsos"]),
                "designated_officers": _decimal(row["designated_officers"]),
                "staff_and_designated": _decimal(row["staff_and_designated"]),
                "total": _decimal(row["total"]),
                "region_in_source": row["region_in_source"],
                "source": row["source"],
                "notes": row["notes"],
            },
            create=create,
        )
        tally("workforce snapshots", outcome)
