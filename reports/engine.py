"""The figures engine: one aggregate of the public case lines -> every public number.

Every headline, table cell, breakdown, facet count, chart bar and download row is read from
here, so a figure reads the same everywhere: a value, "at least N", or "—".

How it works
- One grouped read (filtered in SQL only by the text search and the period, which are not
  facets): return × role × offence × system × outcome × criminal outcome -> cases. It reads
  the rollup the database keeps of the lines (`cases.models.CaseLineRollup`, exact in every
  write's own transaction), so its cost does not grow with the lines; only a text search reads
  the lines themselves, through their stored, indexed `search_vector`. It is read as integer
  codes into pandas, then held per return as numpy arrays (`Counts`); every other filter is a
  mask on them and every sum a bincount, so the facets (each counted under all the *other*
  filters) cost no further query. A dataset is kept per process while the dataset version holds
  (`reports.selectors.aggregate`), and whole pages are cached by it (`reports/page_cache.py`).
- The return metadata (request, its counting unit, force, sources, the lines it holds in all),
  the published totals and the workforce come in a fixed number of small queries.
- A view is always of one counting unit: people disciplined, breaches, allegations … are
  never added together.

The completeness rule, written once
- A return's total is *known* when the reply states it (`FoiReturn.reported_total`), or the
  published figures give it for that force in the request's unit, and the return's lines add
  up to exactly that total. The part of a study no source attributes to a named force is
  complete when the study's lines add up to its national total.
- A count in a view is complete when its return's total is known, no text search is in use,
  and, for each coded filter in use (role, offence …), none of the return's lines leaves that
  field not stated (filtering *for* "not stated" counts those lines exactly).
- A count of one category (dismissed, officers …) is complete when the count is complete and
  none of the return's lines leaves that field not stated.
- Incomplete: "at least N" where N > 0, "—" where nothing is known. 0 only where complete.
- A sum is complete when every part is; unknown parts make it "at least" the known ones. A sum
  that covers a whole study (every return it holds, nothing filtered out but the outcome) is
  checked against the study's own published total: where the lines add up to it exactly
  (Parliament Street: 237 people, 11 dismissed, 6 resigned), the sum is that published figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import BigIntegerField, Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce, ExtractYear

from cases.models import (
    CaseLineRollup,
    CriminalOutcome,
    FoiRequest,
    FoiReturn,
    Offence,
    Outcome,
    ReportedFigure,
    Role,
    Source,
    System,
    Unit,
)
from cases.selectors import ReportedValue, reported_value
from forces.models import Force, WorkforceSnapshot

NOT_STATED = "not_stated"
CODED = {
    "role": Role,
    "offence": Offence,
    "system": System,
    "outcome": Outcome,
    "criminal_outcome": CriminalOutcome,
}
RETURN_LEVEL = ("study", "force", "region", "country", "unit")
FACETS = (
    "unit",
    "study",
    "region",
    "country",
    "force",
    "role",
    "offence",
    "system",
    "outcome",
    "criminal_outcome",
)
DEFAULT_UNIT = Unit.PEOPLE_DISCIPLINED
# Outcome columns of the force tables: the two the studies headline, then the rest.
HEADLINE_OUTCOMES = (Outcome.DISMISSED, Outcome.RESIGNED)
# A workforce snapshot further than this from the end of a study's period is no basis for a rate.
WORKFORCE_MAX_DISTANCE_DAYS = 2 * 366
# Published national figures that a whole study's lines can be checked against, per unit.
NATIONAL_TOTAL_METRICS = ReportedFigure.TOTAL_METRICS
NATIONAL_OUTCOME_METRICS = {Outcome.DISMISSED: "dismissed", Outcome.RESIGNED: "resigned"}
# A study counting people disciplined may publish its national total and terminations as outcomes:
# Big Brother Watch 2011's "904 Police officers and staff were subjected to internal disciplinary
# procedures" is its total, and "98 … had their employment terminated" its national dismissed.
NATIONAL_OUTCOME_AS_METRIC = {
    (Outcome.DISCIPLINED.value, Unit.PEOPLE_DISCIPLINED.value): ReportedFigure.Metric.CASES_TOTAL,
    ("employment_terminated", Unit.PEOPLE_DISCIPLINED.value): ReportedFigure.Metric.DISMISSED,
}


def national_metric(figure: ReportedFigure) -> str:
    """The metric a national figure counts as: its own, or the total or dismissed it states."""
    if figure.force_id is None and figure.metric == ReportedFigure.Metric.OUTCOME:
        return NATIONAL_OUTCOME_AS_METRIC.get((figure.detail, figure.unit), figure.metric)
    return figure.metric


# --- One figure ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A count as Misuse Tracker may state it: known, a lower bound, or not known at all."""

    value: int | None  # None: not known ("—")
    complete: bool = True  # False: "at least value"
    # A column the view's own filter leaves out (Resigned under ?outcome=dismissed): neither 0 nor
    # "not stated in the sources", since the filter, not the sources, empties it.
    filtered_out: bool = False

    @classmethod
    def of(cls, count: int, *, complete: bool) -> Figure:
        """A count of held lines: exact when complete; else a lower bound, or unknown at 0."""
        count = int(count)
        if complete:
            return cls(count, True)
        return cls(count, False) if count > 0 else cls(None, False)

    @classmethod
    def total(cls, parts) -> Figure:
        parts = list(parts)
        if not parts:
            return cls(None, False)
        known = [p.value for p in parts if p.value is not None]
        complete = all(p.complete and p.value is not None for p in parts)
        if not known or (not complete and sum(known) == 0):
            return cls(None, False)  # "at least 0" says nothing: it is not known
        return cls(sum(known), complete)

    @property
    def known(self) -> bool:
        return self.value is not None

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value:,}" if self.complete else f"at least {self.value:,}"

    @property
    def status(self) -> str:
        """The figure's kind in a download: exact, at least, or not stated."""
        if self.filtered_out:
            return "filtered out"
        if self.value is None:
            return "not stated"
        return "exact" if self.complete else "at least"

    @property
    def sort_value(self):
        return self.value

    def __str__(self) -> str:
        return self.display


UNKNOWN = Figure(None, False)
FILTERED_OUT = Figure(None, False, filtered_out=True)


# --- Counts: the aggregate's rows of one return ---------------------------------------------

DIMENSION = {name: i for i, name in enumerate(CODED)}  # column of a dimension in the codes
# Each coded value as a small integer: the aggregate is held as arrays, summed by numpy.
VALUES = {name: list(choices.values) for name, choices in CODED.items()}
OUTCOMES = tuple(Outcome.values)  # (Django's `.values` makes a new list on every call)
UNITS = tuple(Unit.values)
CODE = {name: {value: i for i, value in enumerate(values)} for name, values in VALUES.items()}


class Counts:
    """The aggregate records of one return that match a view: a row per (role, offence, system,
    outcome, criminal outcome) with its cases, held as two numpy arrays (the codes, n × 5, and the
    cases), so a view's sums are array operations, whatever the number of records. Each sum is
    computed once: the records never change."""

    __slots__ = ("codes", "cases", "_sums")

    def __init__(self, codes, cases):
        self.codes = codes
        self.cases = cases
        self._sums = {}

    def __bool__(self) -> bool:
        return len(self.cases) > 0

    def total(self) -> int:
        if "total" not in self._sums:
            self._sums["total"] = int(self.cases.sum())
        return self._sums["total"]

    def of(self, dimension: str, code) -> int:
        return self.by(dimension).get(code, 0)

    def of_any(self, dimension: str, codes) -> int:
        found = self.by(dimension)
        return sum(found.get(code, 0) for code in codes)

    def by(self, *dimensions: str) -> dict:
        """Cases by value of one dimension (or by a tuple of values of several); values present only."""
        if dimensions not in self._sums:
            key = np.zeros(len(self.cases), dtype=np.int64)
            sizes = [len(VALUES[d]) for d in dimensions]
            for d, size in zip(dimensions, sizes, strict=True):
                key = key * size + self.codes[:, DIMENSION[d]]
            sums = np.bincount(key, weights=self.cases, minlength=int(np.prod(sizes)))
            found = {}
            for k in np.flatnonzero(sums):
                values, rest = [], int(k)
                for d, size in zip(reversed(dimensions), reversed(sizes), strict=True):
                    values.append(VALUES[d][rest % size])
                    rest //= size
                values.reverse()
                found[values[0] if len(values) == 1 else tuple(values)] = int(sums[k])
            self._sums[dimensions] = found
        return self._sums[dimensions]

    def values(self, dimension: str) -> list:
        return list(self.by(dimension))

    def where(self, tests) -> Counts:
        """The records whose values pass every test: (dimension, accepted values)."""
        mask = np.ones(len(self.cases), dtype=bool)
        for dimension, accepted in tests:
            codes = [CODE[dimension][v] for v in accepted if v in CODE[dimension]]
            mask &= np.isin(self.codes[:, DIMENSION[dimension]], codes)
        return Counts(self.codes[mask], self.cases[mask])

    def partition(self, dimension: str) -> dict:
        """The records split by value of one dimension: value -> Counts (each option of a facet)."""
        key = ("partition", dimension)
        if key not in self._sums:
            column = self.codes[:, DIMENSION[dimension]]
            order = np.argsort(column, kind="stable")
            present, starts = np.unique(column[order], return_index=True)
            ends = [*starts[1:], len(order)]
            self._sums[key] = {
                VALUES[dimension][int(code)]: Counts(self.codes[order[a:b]], self.cases[order[a:b]])
                for code, a, b in zip(present, starts, ends, strict=True)
            }
        return self._sums[key]

    @classmethod
    def joined(cls, parts) -> Counts:
        parts = list(parts)
        if not parts:
            return NO_COUNTS
        return cls(np.concatenate([p.codes for p in parts]), np.concatenate([p.cases for p in parts]))


NO_COUNTS = Counts(np.zeros((0, len(CODED)), dtype=np.int16), np.zeros(0, dtype=np.int64))


# --- Rates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """Cases per 1,000 headcount at a date, over the study's period, and per year of it."""

    per_1000: Decimal | None
    per_1000_a_year: Decimal | None = None
    headcount: Decimal | None = None
    headcount_date: date | None = None
    years: Decimal | None = None
    why_not: str = ""  # where no rate can be given, why

    @property
    def display(self) -> str:
        return "—" if self.per_1000 is None else f"{self.per_1000:.2f}"

    @property
    def description(self) -> str:
        if self.per_1000 is None:
            return f"No rate: {self.why_not}"
        text = (
            f"{self.per_1000:.2f} per 1,000 headcount at {self.headcount_date:%-d %B %Y} "
            f"({self.headcount:,.0f}), over the study's period of {_years(self.years)}"
        )
        if self.per_1000_a_year is not None:
            text += f"; {self.per_1000_a_year:.2f} per 1,000 a year"
        return text


def _years(years: Decimal) -> str:
    return f"{years.normalize():f} year" + ("" if years == 1 else "s")


def _two(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def period_years(foi_request: FoiRequest) -> Decimal | None:
    """The study's period in years, to one decimal; None when the period is not dated."""
    if foi_request.period_start is None or foi_request.period_end is None:
        return None
    days = (foi_request.period_end - foi_request.period_start).days + 1
    return Decimal(days / 365.25).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def nearest_snapshot(snapshots: list[WorkforceSnapshot], when) -> WorkforceSnapshot | None:
    if when is None or not snapshots:
        return None
    best = min(snapshots, key=lambda s: (abs((s.date - when).days), s.date))
    return best if abs((best.date - when).days) <= WORKFORCE_MAX_DISTANCE_DAYS else None


def rate_for(*, cases: Figure, foi_return: FoiReturn, snapshots: list[WorkforceSnapshot]) -> Rate:
    if foi_return.force_id is None:
        return Rate(None, why_not="the force is not stated")
    if not cases.complete or cases.value is None:
        return Rate(None, why_not="only part of the force's count here is known")
    foi_request = foi_return.request
    if foi_request.period_end is None:
        return Rate(None, why_not="the study's period is not dated")
    snapshot = nearest_snapshot(snapshots, foi_request.period_end)
    if snapshot is None or not snapshot.total:
        return Rate(
            None,
            why_not="no Home Office headcount within two years of the end of the study's period "
            "(the workforce tables held cover 2017 to 2019)",
        )
    per_1000 = _two(Decimal(cases.value) * 1000 / snapshot.total)
    years = period_years(foi_request)
    per_year = _two(per_1000 / years) if years else None
    return Rate(per_1000, per_year, snapshot.total, snapshot.date, years)


# --- Rows -------------------------------------------------------------------------------


@dataclass
class Row:
    """One return (a force's answer to one study) in one view: every cell a Figure."""

    foi_return: FoiReturn
    cases: Figure
    officers: Figure
    staff: Figure
    role_not_stated: Figure
    outcomes: dict[str, Figure]  # outcome code -> Figure, every code
    other_outcomes: Figure
    outcome_not_stated: Figure
    rate: Rate
    counts: Counts = field(repr=False, default=NO_COUNTS)  # the matching aggregate records
    # Counted from the reply's totals by role (Lancashire: 30 officers, 54 staff), not from lines:
    # its lines do not carry the role, so a role filter matches none of them.
    from_role_totals: bool = False

    @property
    def force(self) -> Force | None:
        return self.foi_return.force

    @property
    def foi_request(self) -> FoiRequest:
        return self.foi_return.request

    @property
    def name(self) -> str:
        return self.force.name if self.force else "Force not stated"

    @property
    def sources(self) -> list[Source]:
        return list(self.foi_return.sources.all())

    @property
    def dismissed(self) -> Figure:
        return self.outcomes[Outcome.DISMISSED]

    @property
    def resigned(self) -> Figure:
        return self.outcomes[Outcome.RESIGNED]

    @property
    def unit_label(self) -> str:
        return Unit(self.foi_request.unit).label

    def sort_key(self, key: str):
        return {
            "force": self.name,
            "study": self.foi_request.title,
            "cases": self.cases.value,
            "officers": self.officers.value,
            "staff": self.staff.value,
            "dismissed": self.dismissed.value,
            "resigned": self.resigned.value,
            "other": self.other_outcomes.value,
            "not_stated": self.outcome_not_stated.value,
            "rate": self.rate.per_1000,
        }[key]


SORT_KEYS = (
    "force",
    "study",
    "cases",
    "officers",
    "staff",
    "dismissed",
    "resigned",
    "other",
    "not_stated",
    "rate",
)


def sort_rows(rows: list[Row], sort: str) -> list[Row]:
    """Sort by any column; "—" sorts last whichever way, never as if it were 0."""
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    present = [r for r in rows if r.sort_key(key) is not None]
    missing = [r for r in rows if r.sort_key(key) is None]
    present.sort(key=lambda r: (r.name, r.foi_request.title))
    present.sort(key=lambda r: r.sort_key(key), reverse=descending)
    missing.sort(key=lambda r: (r.name, r.foi_request.title))
    return present + missing


# --- The data a view is computed from -----------------------------------------------------


@dataclass
class Selection:
    """What the filters ask for, as column tests on the aggregate."""

    unit: str | None = None
    values: dict[str, set] = field(default_factory=dict)  # facet name -> accepted values
    search: bool = False
    dated: bool = False  # a year filter is in use

    def without(self, name: str) -> Selection:
        values = {k: v for k, v in self.values.items() if k != name}
        return Selection(None if name == "unit" else self.unit, values, self.search, self.dated)

    def coded_in_use(self) -> set[str]:
        """Coded filters in use that leave out 'not stated' (so unstated lines might match)."""
        return {
            name for name, accepted in self.values.items() if name in CODED and NOT_STATED not in accepted
        }

    @property
    def line_level(self) -> bool:
        return self.search or any(name in CODED for name in self.values)


def rollup_records(*, year_from: int | None = None, year_to: int | None = None):
    """The aggregate records of the public lines, read from the rollup (no line is read).

    A line's period is its own where the source dates it (the rollup keeps its years), else its
    request's: the same rule as the case-line filters (`CaseLineFilter._period`)."""
    rows = CaseLineRollup.objects.filter(foi_return__in=FoiReturn.objects.public())
    if year_from is not None or year_to is not None:
        rows = rows.annotate(
            first_year=Coalesce("start_year", ExtractYear("foi_return__request__period_start")),
            last_year=Coalesce("end_year", ExtractYear("foi_return__request__period_end")),
        )
        if year_from is not None:
            rows = rows.filter(last_year__gte=int(year_from))
        if year_to is not None:
            rows = rows.filter(first_year__lte=int(year_to))
    # Rows of one return and codes that differ only in their years are summed by the engine,
    # like any other records: no GROUP BY is needed.
    return rows.order_by().values_list("foi_return_id", *CODED, "cases", "lines")


def line_records(lines):
    """The aggregate records of a set of lines, read from the lines (a text search needs them)."""
    return (
        lines.order_by()
        .values("foi_return_id", *CODED)
        .annotate(cases=Sum("count"), lines=Count("id"))
        .values_list("foi_return_id", *CODED, "cases", "lines")
    )


def _fetch(records) -> list[tuple]:
    """The rows of a records query as tuples of integers, straight from the cursor: each code as
    its position in `VALUES` (hundreds of thousands of rows: the ORM's per-row work, or reading
    strings into Python and coding them there, would cost more than the query)."""
    sql, params = records.query.sql_with_params()
    coded = ", ".join(f"array_position(%s::text[], r.{name}::text) - 1" for name in CODED)
    with connections[records.db].cursor() as cursor:
        cursor.execute(
            f"SELECT r.foi_return_id, {coded}, r.cases, r.lines FROM ({sql}) AS r",
            [VALUES[name] for name in CODED] + list(params),
        )
        return cursor.fetchall()


def with_lines_total(returns):
    """Returns that hold lines, each with the people (or other units) its lines add up to, from the
    rollup."""
    held = CaseLineRollup.objects.filter(foi_return=OuterRef("pk"))
    total = held.order_by().values("foi_return").annotate(total=Sum("cases")).values("total")
    return returns.filter(Exists(held)).annotate(
        lines_total=Coalesce(Cast(Subquery(total), BigIntegerField()), 0)
    )


class Dataset:
    """The aggregate of the lines a set of filters reaches, and what every view needs beside it.

    `records`: the aggregate (`rollup_records` or `line_records`); by default every public line."""

    def __init__(self, *, records=None, forces_only=None):
        grouped = rollup_records() if records is None else records
        frame = pd.DataFrame(_fetch(grouped), columns=["foi_return_id", *CODED, "cases", "lines"])
        returns_query = with_lines_total(
            FoiReturn.objects.public()
            .select_related("force", "request")
            .prefetch_related(Prefetch("sources", queryset=Source.objects.order_by("publisher", "url")))
        )
        if forces_only is not None:
            returns_query = returns_query.filter(Q(force__in=forces_only) | Q(force__isnull=True))
        self.returns = {r.id: r for r in returns_query}
        frame = frame[frame["foi_return_id"].isin(self.returns.keys())].sort_values(
            "foi_return_id", kind="stable", ignore_index=True
        )
        # What every view sums: each return's records as arrays of codes and cases (slices of
        # one array per column), and the unstated lines per field, per return and per study.
        codes = frame[list(CODED)].to_numpy(dtype=np.int16, na_value=-1)
        if len(codes) and (codes < 0).any():
            raise ValueError("A case line holds a code the engine does not know.")
        cases = frame["cases"].to_numpy(dtype=np.int64)
        present, starts, position = np.unique(
            frame["foi_return_id"].to_numpy(), return_index=True, return_inverse=True
        )
        present = [int(r) for r in present]
        ends = [*starts[1:], len(cases)] if len(starts) else []  # no lines: no records
        self.records = {
            return_id: Counts(codes[a:b], cases[a:b])
            for return_id, a, b in zip(present, starts, ends, strict=True)
        }
        self._codes, self._cases = codes, cases
        # Each record's study, as a position in `self._studies`.
        self._studies = sorted({self.returns[r].request_id for r in present})
        study_position = {request_id: i for i, request_id in enumerate(self._studies)}
        self._study_of = (
            np.array([study_position[self.returns[r].request_id] for r in present], dtype=np.int64)[position]
            if len(cases)
            else np.zeros(0, dtype=np.int64)
        )
        self.unstated = {}
        for name in CODED:
            unstated = np.where(codes[:, DIMENSION[name]] == CODE[name][NOT_STATED], cases, 0)
            sums = np.bincount(position, weights=unstated, minlength=len(present)) if len(cases) else []
            self.unstated[name] = {r: int(v) for r, v in zip(present, sums, strict=True) if v}
        self._by_study = {}
        self.figures = _totals_figures()
        self.known_totals = {r.id: return_known_total(r, self.figures) for r in self.returns.values()}
        self.complete_returns = _complete_returns(self.returns, self.known_totals, self.figures)
        self.roles_counted = {
            r.id: counted
            for r in self.returns.values()
            if (counted := return_roles_counted(r, self.figures)) is not None
        }
        # Studies whose lines add up exactly to their published national total: summed whole,
        # a force's unknown remainder is inside the study's "force not stated" part, not missing.
        self.complete_studies = {
            r.request_id
            for r in self.returns.values()
            if r.force_id is None and r.id in self.complete_returns
        }
        self.units_of = {r.id: r.request.unit for r in self.returns.values()}
        self.places = {
            r.id: {
                "study": r.request.slug,
                "force": r.force.slug if r.force else "",
                "region": r.force.region if r.force else "",
                "country": r.force.country if r.force else "",
            }
            for r in self.returns.values()
        }
        self.role_splitting = {r.id for r in self.returns.values() if self._splits_roles(r)}
        self.snapshots = _headcounts({r.force_id for r in self.returns.values() if r.force_id})

    # -- filtering --

    def matching(self, selection: Selection) -> dict[int, Counts]:
        """Each return the selection reaches, with its records that match (none left out)."""
        split = self._split_returns(selection)
        tests = [(name, accepted) for name, accepted in selection.values.items() if name in CODED]
        found = {}
        for return_id, counts in self.records.items():
            if selection.unit and self.units_of[return_id] != selection.unit:
                continue
            place = self.places[return_id]
            if any(name in selection.values and place[name] not in selection.values[name] for name in place):
                continue
            if split is not None and return_id in self.role_splitting:
                # Their lines' roles are "not stated" only because the reply splits its totals.
                if return_id in split:
                    found[return_id] = counts.where([t for t in tests if t[0] != "role"])
                continue
            if not tests:
                found[return_id] = counts  # nothing to test line by line: the return's own records
                continue
            matched = counts.where(tests)
            if matched:
                found[return_id] = matched
        return found

    def _split_returns(self, selection: Selection) -> set[int] | None:
        """Under a role filter alone, the returns whose reply gives the chosen roles as totals
        (None: no such filter, so lines are matched on their own roles)."""
        accepted = selection.values.get("role")
        if not accepted or not self.role_splitting:
            return None
        if selection.search or any(name in CODED for name in selection.values if name != "role"):
            return None
        return {
            rid
            for rid in self.role_splitting
            if (Role.OFFICER in accepted and self.returns[rid].reported_officers)
            or (Role.STAFF in accepted and self.returns[rid].reported_staff)
        }

    def units(self, selection: Selection) -> list[str]:
        present = {self.units_of[return_id] for return_id in self.matching(selection.without("unit"))}
        return [u for u in UNITS if u in present]

    # -- rows --

    def rows(self, selection: Selection, *, matched: dict[int, Counts] | None = None) -> list[Row]:
        """The rows of a selection (`matched`: its `matching`, where the caller has it already)."""
        if matched is None:
            matched = self.matching(selection)
        if not matched:
            return []
        role_split = self._role_split_rows(selection, matched)
        coded = selection.coded_in_use()
        unstated = self.unstated
        rows = []
        for return_id, counts in matched.items():
            if return_id in role_split:
                continue
            foi_return = self.returns[return_id]
            complete = (
                return_id in self.complete_returns
                and not selection.search
                and not any(unstated[name].get(return_id, 0) for name in coded)
            )
            rows.append(self._row(foi_return, counts, complete, selection))
        rows.extend(role_split.values())
        return rows

    def _splits_roles(self, foi_return: FoiReturn) -> bool:
        """The reply gives its roles only as totals (West Midlands 4624/14: 5 officers and 2 staff,
        outcomes not split by role): the lines cannot carry them, the return does."""
        return (
            foi_return.reported_officers is not None
            and foi_return.reported_staff is not None
            and foi_return.id in self.complete_returns
        )

    def _role_split_rows(self, selection: Selection, matched: dict[int, Counts]) -> dict[int, Row]:
        """Under a role filter, the returns whose roles are given only as totals: a row counting
        the totals of the chosen roles, no other line field known."""
        split = self._split_returns(selection)
        if not split:
            return {}
        accepted = selection.values["role"]
        found = {}
        for return_id in (rid for rid in matched if rid in split):
            foi_return = self.returns[return_id]
            officers = foi_return.reported_officers if Role.OFFICER in accepted else 0
            staff = foi_return.reported_staff if Role.STAFF in accepted else 0
            cases = Figure(officers + staff, True)
            snapshots = self.snapshots.get(foi_return.force_id, [])
            found[return_id] = Row(
                foi_return=foi_return,
                cases=cases,
                officers=Figure(officers, True),
                staff=Figure(staff, True),
                role_not_stated=Figure(0, True),
                outcomes={code: UNKNOWN for code in OUTCOMES},
                other_outcomes=UNKNOWN,
                outcome_not_stated=UNKNOWN,
                rate=rate_for(cases=cases, foi_return=foi_return, snapshots=snapshots),
                counts=NO_COUNTS,
                from_role_totals=True,
            )
        return found

    def _row(self, foi_return, counts: Counts, complete: bool, selection: Selection) -> Row:
        by_role = counts.by("role")
        by_outcome = counts.by("outcome")
        role_unstated = int(by_role.get(Role.NOT_STATED, 0))
        outcome_unstated = int(by_outcome.get(Outcome.NOT_STATED, 0))
        cases = Figure.of(counts.total(), complete=complete)
        roles_complete = complete and role_unstated == 0
        officers = Figure.of(by_role.get(Role.OFFICER, 0), complete=roles_complete)
        staff = Figure.of(by_role.get(Role.STAFF, 0), complete=roles_complete)
        role_not_stated = Figure.of(role_unstated, complete=complete)
        counted = self.roles_counted.get(foi_return.id)
        if counted is not None:
            officers = officers if Role.OFFICER in counted else UNKNOWN
            staff = staff if Role.STAFF in counted else UNKNOWN
        if self._splits_roles(foi_return) and complete and not selection.line_level:
            officers = Figure(foi_return.reported_officers, True)
            staff = Figure(foi_return.reported_staff, True)
            role_not_stated = Figure(0, True)
        outcomes_complete = complete and outcome_unstated == 0
        outcomes = {code: Figure.of(by_outcome.get(code, 0), complete=outcomes_complete) for code in OUTCOMES}
        only_outcome = not selection.search and not any(
            name in selection.values for name in CODED if name != "outcome"
        )
        if (
            foi_return.force_id is None
            and foi_return.id in self.complete_returns
            and only_outcome
            and (not selection.dated or self._whole_study_in_period(foi_return.request_id))
        ):
            # The part no source attributes to a force is the study's published total less the
            # named forces': where the study publishes an outcome's total and its lines add up to
            # it, that outcome's remainder is exact too (Parliament Street: 11 - 9 = 2 dismissed),
            # and so is the count of the part filtered on those outcomes.
            exact = {
                code
                for code in HEADLINE_OUTCOMES
                if (published := self._published_national(foi_return.request_id, code, Selection()))
                is not None
                and published == self._study_lines(foi_return.request_id, "outcome", code)
            }
            for code in exact:
                if complete or "outcome" in selection.values:
                    outcomes[code] = Figure(int(by_outcome.get(code, 0)), True)
            if "outcome" in selection.values and selection.values["outcome"] <= exact:
                cases = Figure(int(counts.total()), True)
        other = Figure.of(
            sum(
                int(by_outcome.get(code, 0))
                for code in OUTCOMES
                if code not in (*HEADLINE_OUTCOMES, NOT_STATED)
            ),
            complete=outcomes_complete,
        )
        snapshots = self.snapshots.get(foi_return.force_id, [])
        return Row(
            foi_return=foi_return,
            cases=cases,
            officers=officers,
            staff=staff,
            role_not_stated=role_not_stated,
            outcomes=outcomes,
            other_outcomes=other,
            outcome_not_stated=Figure.of(outcome_unstated, complete=complete),
            rate=rate_for(cases=cases, foi_return=foi_return, snapshots=snapshots),
            counts=counts,
        )

    # -- sums --

    def covers_whole_study(
        self, rows: list[Row], selection: Selection, request_id: int, *, coded: bool = False
    ) -> bool:
        """Do these rows hold every return of the study, with nothing but coded fields filtered
        (`coded`), or nothing but the outcome (the published totals split only by outcome)?"""
        if selection.search:
            return False
        if selection.dated and not self._whole_study_in_period(request_id):
            return False
        if not coded and any(
            name in selection.values for name in ("role", "offence", "system", "criminal_outcome")
        ):
            return False
        # Every return of the study must pass the force, region and country filters; returns left
        # out only by the outcome filter hold none of that outcome, which is what is being summed.
        for foi_return in self.returns.values():
            if foi_return.request_id != request_id:
                continue
            force = foi_return.force
            place = {
                "force": force.slug if force else "",
                "region": force.region if force else "",
                "country": force.country if force else "",
            }
            if any(name in selection.values and place[name] not in selection.values[name] for name in place):
                return False
        return True

    def total(self, rows: list[Row], selection: Selection, *, cell, requests=None) -> Figure:
        """The sum of one cell over rows, study by study, each checked against its published total.

        `cell` is "cases", "officers", "staff", "other_outcomes", "outcome_not_stated", an
        outcome code, or (dimension, code). The sum covers every return the selection reaches
        (only those of `requests`, if given): one with no row here still makes it "at least"
        unless its count here is known to be 0.
        """
        cell = _normal_cell(cell)
        by_request = defaultdict(list)
        for row in rows:
            by_request[row.foi_return.request_id].append(row)
        unseen = self._unseen(rows, selection, requests)
        parts = []
        for request_id in sorted(set(by_request) | unseen):
            found = by_request.get(request_id, [])
            if request_id in self.complete_studies and self.covers_whole_study(
                found, selection, request_id, coded=True
            ):
                part = self._whole_study_sum(found, selection, request_id, cell)
            else:
                part = Figure.total(_cell(row, cell) for row in found)
                if request_id in unseen:
                    # A return with no line here whose count here is not known to be 0.
                    part = Figure(part.value, False) if part.value else UNKNOWN
            published = self._published_national(request_id, cell, selection)
            if (
                published is not None
                and part.value == published
                and self.covers_whole_study(found, selection, request_id)
            ):
                part = Figure(published, True)
            parts.append(part)
        return Figure.total(parts)

    def _unseen(self, rows: list[Row], selection: Selection, requests) -> set[int]:
        """Studies with a return the selection reaches, that has no row, and whose count is not
        known to be 0 (its total unknown, a search in use, or the filtered field unstated)."""
        return {r.request_id for r in self.unseen_returns(rows, selection, requests)}

    def unseen_returns(self, rows: list[Row], selection: Selection, requests=None) -> list[FoiReturn]:
        """The returns the selection reaches with no row whose count here is not known to be 0."""
        present = {row.foi_return.id for row in rows}
        split = self._split_returns(selection)
        coded = selection.coded_in_use()
        unseen = []
        for return_id in self.records:
            foi_return = self.returns[return_id]
            if return_id in present:
                continue
            if requests is not None and foi_return.request_id not in requests:
                continue
            if selection.unit and foi_return.request.unit != selection.unit:
                continue
            place = self.places[return_id]
            if any(name in selection.values and place[name] not in selection.values[name] for name in place):
                continue
            if split is not None and return_id in self.role_splitting:
                continue  # its roles are known totals: none of the chosen ones
            known_zero = (
                return_id in self.complete_returns
                and not selection.search
                and not any(self.unstated[name].get(return_id, 0) for name in coded)
            )
            if not known_zero:
                unseen.append(foi_return)
        return unseen

    def _whole_study_in_period(self, request_id: int) -> bool:
        """Does the period filter keep every line of the study? (Counted once per dataset.)"""
        if not hasattr(self, "_whole_in_period"):
            held, in_period = defaultdict(int), defaultdict(int)
            for r in self.returns.values():
                held[r.request_id] += r.lines_total
            for rid, counts in self.records.items():
                in_period[self.returns[rid].request_id] += counts.total()
            self._whole_in_period = {rid: held[rid] == in_period[rid] for rid in held}
        return self._whole_in_period.get(request_id, False)

    def _study_lines(self, request_id: int, dimension: str, code: str) -> int:
        """The study's cases (under the period and search) with this value of one field."""
        if dimension not in self._by_study:
            size = len(VALUES[dimension])
            sums = np.bincount(
                self._study_of * size + self._codes[:, DIMENSION[dimension]],
                weights=self._cases,
                minlength=len(self._studies) * size,
            )
            self._by_study[dimension] = {
                (self._studies[k // size], VALUES[dimension][k % size]): int(sums[k])
                for k in np.flatnonzero(sums)
            }
        return int(self._by_study[dimension].get((request_id, code), 0))

    def _whole_study_sum(self, rows: list[Row], selection: Selection, request_id: int, cell: str) -> Figure:
        """A cell summed over a whole study whose lines are all of its published total.

        Each force's part may be "at least" (its own total unknown), but the study's lines are
        every case it counts, so the sum is a count of lines: exact unless the field being
        counted or filtered on is not stated on some of them.
        """
        counts = Counts.joined(row.counts for row in rows)
        outcome_unstated = counts.of("outcome", NOT_STATED)
        role_unstated = counts.of("role", NOT_STATED)
        # Filtered on a coded field (not for "not stated"): the study's lines that leave it
        # unstated might match.
        complete = not any(
            self._study_lines(request_id, name, NOT_STATED) for name in selection.coded_in_use()
        )
        if isinstance(
            cell, tuple
        ):  # (dimension, code) of a field other than outcome or role: see _normal_cell
            dimension, code = cell
            value = counts.of(dimension, code)
            unstated = counts.of(dimension, NOT_STATED)
            return Figure.of(value, complete=complete and (code == NOT_STATED or unstated == 0))
        if cell == "cases":
            return Figure.of(counts.total(), complete=complete)
        if cell in ("officers", "staff"):
            code = Role.OFFICER if cell == "officers" else Role.STAFF
            value = counts.of("role", code)
            return Figure.of(value, complete=complete and role_unstated == 0)
        if cell == "role_not_stated":
            return Figure.of(role_unstated, complete=complete)
        if cell == "outcome_not_stated":
            return Figure.of(outcome_unstated, complete=complete)
        if cell == "other_outcomes":
            codes = [c for c in OUTCOMES if c not in (*HEADLINE_OUTCOMES, NOT_STATED)]
        else:
            codes = [cell]
        value = counts.of_any("outcome", codes)
        return Figure.of(value, complete=complete and outcome_unstated == 0)

    def _published_national(self, request_id: int, cell: str, selection: Selection) -> int | None:
        """The study's published national figure for this cell under this outcome filter, if any."""
        outcome_filter = selection.values.get("outcome")
        if cell == "cases":
            if outcome_filter is None:
                groups = [NATIONAL_TOTAL_METRICS]
            elif outcome_filter <= set(NATIONAL_OUTCOME_METRICS):
                groups = [(NATIONAL_OUTCOME_METRICS[code],) for code in sorted(outcome_filter)]
            else:
                return None
        elif cell in NATIONAL_OUTCOME_METRICS and (outcome_filter is None or cell in outcome_filter):
            groups = [(NATIONAL_OUTCOME_METRICS[cell],)]
        else:
            return None
        foi_request = next(r.request for r in self.returns.values() if r.request_id == request_id)
        total = 0
        for metrics in groups:
            value = national_value(self.figures, foi_request, metrics)
            if value is None or value.value is None or value.qualifier != ReportedFigure.Qualifier.EXACT:
                return None
            total += value.value
        return total


ROLE_CELLS = {Role.OFFICER: "officers", Role.STAFF: "staff", Role.NOT_STATED: "role_not_stated"}


def _normal_cell(cell):
    """(outcome, code) is the outcome's column; (role, officer|staff|not stated) the role's."""
    if isinstance(cell, tuple):
        dimension, code = cell
        if dimension == "outcome":
            return "outcome_not_stated" if code == NOT_STATED else code
        if dimension == "role" and code in ROLE_CELLS:
            return ROLE_CELLS[code]
    return cell


def _cell(row: Row, cell) -> Figure:
    """One cell of a row: a column name, an outcome code, or (dimension, code) of a breakdown."""
    cell = _normal_cell(cell)
    if isinstance(cell, tuple):
        dimension, code = cell
        by_value = row.counts.by(dimension)
        complete = row.cases.complete and (code == NOT_STATED or int(by_value.get(NOT_STATED, 0)) == 0)
        return Figure.of(int(by_value.get(code, 0)), complete=complete)
    if cell in OUTCOMES:
        return row.outcomes[cell]
    return getattr(row, cell)


# --- Totals the sources publish -------------------------------------------------------------


def _totals_figures() -> list[ReportedFigure]:
    """Every published total, national or per force (a small table, read whole in one query)."""
    metrics = (*ReportedFigure.TOTAL_METRICS, *NATIONAL_OUTCOME_METRICS.values())
    as_metric = Q()
    for detail, unit in NATIONAL_OUTCOME_AS_METRIC:
        as_metric |= Q(force__isnull=True, metric=ReportedFigure.Metric.OUTCOME, detail=detail, unit=unit)
    return list(
        ReportedFigure.objects.filter(Q(metric__in=metrics) | as_metric)
        .select_related("source")
        .order_by("source__publisher", "id")
    )


def return_known_total(foi_return: FoiReturn, figures: list[ReportedFigure]) -> ReportedValue | None:
    """The total the reply or the published figures give for this return, in its study's unit."""
    if foi_return.reported_total is not None:
        return ReportedValue(foi_return.reported_total, ReportedFigure.Qualifier.EXACT, [])
    if foi_return.force_id is None:
        return None
    return reported_value(_total_figures(foi_return, figures))


def _total_figures(foi_return: FoiReturn, figures: list[ReportedFigure]) -> list[ReportedFigure]:
    """The published figures that give this force's total in its study's unit (one metric)."""
    unit = foi_return.request.unit
    found = [
        f
        for f in figures
        if f.request_id == foi_return.request_id
        and f.force_id == foi_return.force_id
        and f.unit == unit
        and f.metric in ReportedFigure.TOTAL_METRICS
    ]
    metric = next((m for m in ReportedFigure.TOTAL_METRICS if any(f.metric == m for f in found)), None)
    return [f for f in found if f.metric == metric]


def _roles_in(wording: str) -> set[str] | None:
    """The roles a source's words for whom it counts name: officers only, staff only, or None
    (both, or not said)."""
    words = wording.lower()
    officers = "officer" in words
    staff = "staff" in words or "civilian" in words
    if officers != staff:
        return {Role.OFFICER} if officers else {Role.STAFF}
    return None


def return_roles_counted(foi_return: FoiReturn, figures: list[ReportedFigure]) -> set[str] | None:
    """The roles a force's published total counts, where every figure giving it names one role
    only (South Yorkshire 2010: "56 police officers investigated"); None: not limited. The other
    role is then outside what was counted: not stated, never 0."""
    if foi_return.reported_total is not None or foi_return.force_id is None:
        return None
    found = _total_figures(foi_return, figures)
    roles = [_roles_in(f.role_wording) for f in found]
    if not found or any(r is None for r in roles):
        return None
    return set().union(*roles)


def national_value(figures, foi_request: FoiRequest, metrics) -> ReportedValue | None:
    """The study's national figure for one of the metrics, in the study's unit."""
    found = [
        f
        for f in figures
        if f.request_id == foi_request.id
        and f.force_id is None
        and f.unit == foi_request.unit
        and national_metric(f) in metrics
    ]
    metric = next((m for m in metrics if any(national_metric(f) == m for f in found)), None)
    return reported_value([f for f in found if national_metric(f) == metric])


def _complete_returns(returns: dict[int, FoiReturn], known_totals, figures) -> set[int]:
    """The returns whose lines are all of their total (the completeness rule, first half)."""
    complete = set()
    lines_by_request = defaultdict(int)
    for r in returns.values():
        lines_by_request[r.request_id] += r.lines_total
    for r in returns.values():
        if r.force_id is None and r.reported_total is None:
            national = national_value(figures, r.request, NATIONAL_TOTAL_METRICS)
            if (
                national is not None
                and national.value is not None
                and national.qualifier == ReportedFigure.Qualifier.EXACT
                and national.value == lines_by_request[r.request_id]
            ):
                complete.add(r.id)
            continue
        known = known_totals[r.id]
        if (
            known is not None
            and known.value is not None
            and known.qualifier == ReportedFigure.Qualifier.EXACT
            and known.value == r.lines_total
        ):
            complete.add(r.id)
    return complete


def _headcounts(force_ids) -> dict[int, list[WorkforceSnapshot]]:
    snapshots = defaultdict(list)
    if not force_ids:
        return snapshots
    for snapshot in WorkforceSnapshot.objects.filter(
        force_id__in=force_ids, measure=WorkforceSnapshot.Measure.HEADCOUNT
    ).order_by("date"):
        snapshots[snapshot.force_id].append(snapshot)
    return snapshots


# --- Views: what a page shows -------------------------------------------------------------


@dataclass
class Category:
    code: str
    label: str
    figure: Figure
    forces: int  # named forces with at least one such case


@dataclass
class Breakdown:
    dimension: str
    stated: list[Category]  # stated values with cases, largest first
    not_stated: Figure  # set apart, never a bar beside the stated ones
    total: Figure

    @property
    def stated_total(self) -> Figure:
        """Cases whose field is stated: the total less the unstated, where both are exact."""
        if self.total.complete and self.not_stated.complete and self.total.known and self.not_stated.known:
            return Figure(self.total.value - self.not_stated.value, True)
        return Figure.total(c.figure for c in self.stated) if self.stated else UNKNOWN


@dataclass
class View:
    unit: str | None
    rows: list[Row]
    headline: dict[str, Figure]
    breakdowns: dict[str, Breakdown]
    named_forces: int
    studies: list[FoiRequest]
    unattributed: Figure
    study_totals: dict[int, Figure] = field(default_factory=dict)
    # Returns these filters reach with no row here, whose count here is not known: why a total
    # of exact rows can still read "at least".
    unseen: list[FoiReturn] = field(default_factory=list)

    @property
    def unit_label(self) -> str:
        return Unit(self.unit).label if self.unit else ""

    @property
    def overlapping_studies(self) -> list[tuple[FoiRequest, FoiRequest]]:
        """Pairs of this view's studies whose dated periods overlap: a person may be counted in
        both, so their sum is not a count of different people."""
        dated = [s for s in self.studies if s.period_start and s.period_end]
        return [
            (a, b)
            for i, a in enumerate(dated)
            for b in dated[i + 1 :]
            if a.period_start <= b.period_end and b.period_start <= a.period_end
        ]

    @property
    def named_rows(self) -> list[Row]:
        return [r for r in self.rows if r.force is not None]

    @property
    def unattributed_rows(self) -> list[Row]:
        return [r for r in self.rows if r.force is None]


HEADLINE_CELLS = {
    "cases": "cases",
    "officers": "officers",
    "staff": "staff",
    "dismissed": Outcome.DISMISSED,
    "resigned": Outcome.RESIGNED,
    "other": "other_outcomes",
    "not_stated": "outcome_not_stated",
}


def view(dataset: Dataset, selection: Selection, *, sort: str = "-cases") -> View:
    rows = sort_rows(dataset.rows(selection), sort)
    unseen = [
        r
        for r in dataset.unseen_returns(rows, selection)
        if not (
            r.request_id in dataset.complete_studies
            and dataset.covers_whole_study([], selection, r.request_id, coded=True)
            # A whole study sums exactly unless a filtered field is unstated on some of its lines.
            and not any(
                dataset._study_lines(r.request_id, name, NOT_STATED) for name in selection.coded_in_use()
            )
        )
    ]
    headline = {name: dataset.total(rows, selection, cell=cell) for name, cell in HEADLINE_CELLS.items()}
    if "outcome" in selection.values:
        rows, headline = _outcomes_filtered_out(rows, headline, selection.values["outcome"])
    breakdowns = {
        name: breakdown(dataset, rows, selection, name) for name in ("offence", "outcome", "role", "system")
    }
    studies = []
    for row in rows:
        if row.foi_request not in studies:
            studies.append(row.foi_request)
    studies.sort(key=lambda s: (s.period_end is None, s.period_end or date.min, s.slug))
    return View(
        unit=selection.unit,
        rows=rows,
        headline=headline,
        breakdowns=breakdowns,
        named_forces=len({r.force.id for r in rows if r.force}),
        studies=studies,
        unattributed=Figure.total(r.cases for r in rows if r.force is None)
        if any(r.force is None for r in rows)
        else Figure(0, True),
        unseen=sorted(unseen, key=lambda r: (r.force.name if r.force else "", r.request.title)),
        study_totals={
            study.id: dataset.total(
                [r for r in rows if r.foi_request.id == study.id],
                selection,
                cell="cases",
                requests={study.id},
            )
            for study in studies
        },
    )


def _outcomes_filtered_out(rows: list[Row], headline: dict, accepted) -> tuple[list[Row], dict]:
    """Under an outcome filter, the outcome columns it leaves out read "filtered out" on every row
    and in the headline alike (not 0, not "not stated")."""
    left_out = {code for code in OUTCOMES if code not in accepted}
    other_out = not any(code in accepted for code in OUTCOMES if code not in (*HEADLINE_OUTCOMES, NOT_STATED))
    unstated_out = NOT_STATED not in accepted
    rows = [
        replace(
            row,
            outcomes={code: FILTERED_OUT if code in left_out else f for code, f in row.outcomes.items()},
            other_outcomes=FILTERED_OUT if other_out else row.other_outcomes,
            outcome_not_stated=FILTERED_OUT if unstated_out else row.outcome_not_stated,
        )
        for row in rows
    ]
    headline = dict(headline)
    for name, cell in HEADLINE_CELLS.items():
        if (
            (cell in left_out)
            or (cell == "other_outcomes" and other_out)
            or (cell == "outcome_not_stated" and unstated_out)
        ):
            headline[name] = FILTERED_OUT
    return rows, headline


def breakdown(dataset: Dataset, rows: list[Row], selection: Selection, dimension: str) -> Breakdown:
    """Cases per stated value of one coded field, with "not stated" set apart.

    Each category is the same cell the force table's columns and the facets read (`_cell`),
    summed by the one sum rule (`Dataset.total`)."""
    choices = CODED[dimension]
    stated = []
    for code, label in choices.choices:
        if code == NOT_STATED:
            continue
        parts = [(row, _cell(row, (dimension, code))) for row in rows]
        if not any(figure.value for _, figure in parts):
            continue
        figure = dataset.total(rows, selection, cell=(dimension, code))
        forces = len({row.force.id for row, part in parts if row.force and part.value})
        stated.append(Category(code, label, figure, forces))
    stated.sort(key=lambda c: (-(c.figure.value or 0), c.label))
    not_stated = dataset.total(rows, selection, cell=(dimension, NOT_STATED)) if rows else UNKNOWN
    return Breakdown(dimension, stated, not_stated, dataset.total(rows, selection, cell="cases"))


# --- Facets -------------------------------------------------------------------------------


@dataclass
class Option:
    value: str
    label: str
    figure: Figure
    selected: bool


def facets(dataset: Dataset, selection: Selection) -> dict[str, list[Option]]:
    """For each filter, what each option would show under all the *other* filters in use.

    Every count is the headline the view would show if that option alone were chosen, so it
    reads the same ("at least N", "—") as the page it leads to. Units are never added: the unit
    facet counts each unit in its own terms; every other facet counts within the chosen unit.
    """
    labels = _labels(dataset)
    result = {}
    for name in FACETS:
        others = selection.without(name)
        if name == "unit":
            options = []
            for unit in dataset.units(selection):
                chosen = Selection(unit, others.values, others.search, others.dated)
                rows = dataset.rows(chosen)
                options.append(
                    Option(
                        unit,
                        Unit(unit).label,
                        dataset.total(rows, chosen, cell="cases"),
                        unit == selection.unit,
                    )
                )
            result[name] = options
            continue
        matched = dataset.matching(others)
        accepted = selection.values.get(name, set())
        options = []
        if name in RETURN_LEVEL:
            values = list(dict.fromkeys(dataset.places[return_id][name] for return_id in matched))
        else:
            values = list(dict.fromkeys(v for counts in matched.values() for v in counts.values(name)))
        if name == "role" and any(return_id in dataset.role_splitting for return_id in matched):
            values += [code for code in (Role.OFFICER, Role.STAFF) if code not in values]
        # A coded option's records are the other filters' records with that value: split them
        # once, not once per option (not for roles, which some returns give only as totals).
        partitions = None
        if name in CODED and name != "role" and dataset._split_returns(others) is None:
            partitions = {return_id: counts.partition(name) for return_id, counts in matched.items()}
        for value in values:
            if name in RETURN_LEVEL and value == "":
                label = "Not stated"
            else:
                label = labels[name].get(value, value)
            chosen_values = {**others.values, name: {value}}
            chosen = Selection(others.unit, chosen_values, others.search, others.dated)
            if partitions is None:
                rows = dataset.rows(chosen)
            else:
                rows = dataset.rows(
                    chosen,
                    matched={rid: parts[value] for rid, parts in partitions.items() if value in parts},
                )
            if not rows:
                continue
            options.append(Option(value, label, dataset.total(rows, chosen, cell="cases"), value in accepted))
        options.sort(key=lambda o: (-(o.figure.value or 0), o.label))
        result[name] = options
    return result


def _labels(dataset: Dataset) -> dict[str, dict]:
    labels = {name: dict(choices.choices) for name, choices in CODED.items()}
    labels["study"] = {r.request.slug: r.request.title for r in dataset.returns.values()}
    labels["force"] = {r.force.slug: r.force.name for r in dataset.returns.values() if r.force}
    labels["region"] = {}
    labels["country"] = {}
    labels["unit"] = dict(Unit.choices)
    return labels


# --- Reconciliation of a study's published totals -----------------------------------------


@dataclass
class Reconciliation:
    label: str
    reported: ReportedValue | None
    attributed: int
    unattributed: int
    named_forces: int

    @property
    def held(self) -> int:
        return self.attributed + self.unattributed

    @property
    def reconciles(self) -> bool:
        return (
            self.reported is not None
            and self.reported.value is not None
            and self.reported.qualifier == ReportedFigure.Qualifier.EXACT
            and self.reported.value == self.held
        )


def reconciliations(dataset: Dataset, study_view: View, foi_request: FoiRequest) -> list[Reconciliation]:
    """The study's published national totals against the lines held, named and not attributed."""
    result = []
    checks = [("cases", NATIONAL_TOTAL_METRICS, Unit(foi_request.unit).label.lower())]
    checks += [
        (code, (metric,), Outcome(code).label.lower()) for code, metric in NATIONAL_OUTCOME_METRICS.items()
    ]
    for cell, metrics, label in checks:
        reported = national_value(dataset.figures, foi_request, metrics)
        if reported is None:
            continue
        named = [r for r in study_view.rows if r.force is not None]
        unnamed = [r for r in study_view.rows if r.force is None]

        def held(rows, cell=cell):
            return sum(int(_lines_of(r, cell)) for r in rows)

        result.append(
            Reconciliation(
                label=label,
                reported=reported,
                attributed=held(named),
                unattributed=held(unnamed),
                named_forces=len({r.force.id for r in named if _lines_of(r, cell)}),
            )
        )
    return result


def _lines_of(row: Row, cell: str) -> int:
    if cell == "cases":
        return row.counts.total()
    return row.counts.of("outcome", cell)


# --- Per-return completeness, for the case-line download -----------------------------------


def return_completeness() -> dict[int, tuple[bool, int, str]]:
    """Each public return: (its lines are all of its total?, lines total, the known total)."""
    returns = {
        r.id: r for r in with_lines_total(FoiReturn.objects.public().select_related("request", "force"))
    }
    figures = _totals_figures()
    known = {rid: return_known_total(r, figures) for rid, r in returns.items()}
    complete = _complete_returns(returns, known, figures)
    result = {}
    for rid, r in returns.items():
        if r.force_id is None:
            national = national_value(figures, r.request, NATIONAL_TOTAL_METRICS)
            total_text = (
                f"{national.display} nationally, less the named forces"
                if national and national.value is not None
                else ""
            )
        else:
            total_text = known[rid].display if known[rid] and known[rid].value is not None else ""
        result[rid] = (rid in complete, r.lines_total, total_text)
    return result
