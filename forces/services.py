"""Writes to forces: loading the reference list of forces and their workforce."""

import csv
from decimal import Decimal
from pathlib import Path

from forces.models import Force, WorkforceSnapshot

NATIONAL_REGION = "National (non-geographic)"


class ReferenceDataError(Exception):
    """A reference file holds something the loader cannot take; nothing is written."""


def upsert(model, lookup: dict, values: dict) -> tuple[object, str]:
    """Create or update one row, saving only when something differs.

    Returns the row and what happened: "created", "updated" or "unchanged", so that loading the
    same data twice writes nothing and says so.
    """
    row = model.objects.filter(**lookup).first()
    if row is None:
        return model.objects.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row, "unchanged"
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


def forces_load(*, path: Path, tally) -> dict[str, Force]:
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
        )
        tally("forces", outcome)
        forces[force.slug] = force
    return forces


def workforce_load(*, path: Path, forces: dict[str, Force], tally) -> None:
    measures = {"FTE": WorkforceSnapshot.Measure.FTE, "headcount": WorkforceSnapshot.Measure.HEADCOUNT}
    for number, row in enumerate(read_csv(path), start=2):
        force = forces.get(row["slug"])
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
        )
        tally("workforce snapshots", outcome)
