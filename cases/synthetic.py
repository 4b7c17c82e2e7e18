"""SYNTHETIC benchmark data: seeded studies, returns and case lines, in a database named *_bench only.

Nothing here may reach the app's own database: the database is made here, on the same server,
and every entry point checks that its name ends in "_bench". Studies, their sources and the
returns go through the services (one import per study, by a SYNTHETIC importer, approved by a
SYNTHETIC reviewer), so they carry history and move the dataset version. The case lines, and the
source each one cites, go in by COPY, laid out as an import lays them out: a return's lines
together and in order, in the study's import batch, each citing its return's reply. The same
seed and number of lines give the same data.
"""

import hashlib
import io
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import psycopg2
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction

from cases.imports import ImportPlan, PlannedReturn, Spreadsheet
from cases.models import (
    CaseLine,
    CriminalOutcome,
    FoiRequest,
    FoiReturn,
    ImportBatch,
    Offence,
    Outcome,
    Role,
    Source,
    System,
    Unit,
)
from cases.publishing import foi_returns_approve, record_save
from cases.roles import EDITOR, REVIEWER
from cases.services import foi_return_import, reference_data_load
from forces.models import AuditedChange, Force, WorkforceSnapshot

BENCH_SUFFIX = "_bench"
DEFAULT_LINES = 1_000_000
DEFAULT_SEED = 2026
CHUNK_LINES = 100_000
NOT_STATED = "not_stated"
PUBLISHER = "SYNTHETIC data (generate_synthetic): not a real publisher"
SITE = "https://example.org/synthetic"
IMPORTER, REVIEWER_USERNAME = "synthetic-importer", "synthetic-reviewer"
# Every line says what it is, in one word: a longer note was a quarter of the bytes copied.
LINE_NOTES = "SYNTHETIC"


class SyntheticRefused(Exception):
    """The synthetic data will not be written; the message says why and what to do."""


# --- What the data looks like ----------------------------------------------------------------


@dataclass(frozen=True)
class Study:
    slug: str
    title: str
    unit: str
    counting_unit: str
    period_label: str
    period_start: date
    period_end: date
    year_basis: str
    share: float  # of all the lines
    not_stated: dict[str, float]  # per coded field: how often a force does not say
    unattributed: float = 0.0  # of the study's weight: cases it does not attribute to a force


CALENDAR, FINANCIAL = FoiRequest.YearBasis.CALENDAR, FoiRequest.YearBasis.FINANCIAL
STUDIES = (
    Study(
        "synthetic-people-disciplined-2007-2011",
        "SYNTHETIC study: people disciplined for misusing police systems, 2007 to 2011",
        Unit.PEOPLE_DISCIPLINED,
        "SYNTHETIC: officers and staff disciplined",
        "2007 to 2011",
        date(2007, 1, 1),
        date(2011, 12, 31),
        CALENDAR,
        0.12,
        {"role": 0.30, "offence": 0.42, "system": 0.45, "outcome": 0.28, "criminal_outcome": 0.45},
        unattributed=0.02,
    ),
    Study(
        "synthetic-data-breaches-2011-2015",
        "SYNTHETIC study: data breaches by police staff, FY2011/12 to FY2014/15",
        Unit.DATA_BREACHES,
        "SYNTHETIC: data-protection breaches",
        "FY2011/12 to FY2014/15",
        date(2011, 4, 1),
        date(2015, 3, 31),
        FINANCIAL,
        0.16,
        {"role": 0.38, "offence": 0.30, "system": 0.40, "outcome": 0.42, "criminal_outcome": 0.44},
    ),
    Study(
        "synthetic-misconduct-allegations-2014-2016",
        "SYNTHETIC study: misconduct allegations of computer misuse, 2014 to 2016",
        Unit.MISCONDUCT_ALLEGATIONS,
        "SYNTHETIC: allegations recorded",
        "2014 to 2016",
        date(2014, 1, 1),
        date(2016, 12, 31),
        CALENDAR,
        0.18,
        {"role": 0.27, "offence": 0.28, "system": 0.38, "outcome": 0.35, "criminal_outcome": 0.42},
    ),
    Study(
        "synthetic-investigations-2017-2018",
        "SYNTHETIC study: investigations into misuse of force IT, 2017 to 2018",
        Unit.INVESTIGATIONS,
        "SYNTHETIC: investigations opened",
        "2017 to 2018",
        date(2017, 1, 1),
        date(2018, 12, 31),
        CALENDAR,
        0.14,
        {"role": 0.33, "offence": 0.25, "system": 0.36, "outcome": 0.40, "criminal_outcome": 0.40},
        unattributed=0.015,
    ),
    Study(
        "synthetic-people-investigated-2019-2022",
        "SYNTHETIC study: people investigated for data misuse, FY2019/20 to FY2021/22",
        Unit.PEOPLE_INVESTIGATED,
        "SYNTHETIC: people investigated",
        "FY2019/20 to FY2021/22",
        date(2019, 4, 1),
        date(2022, 3, 31),
        FINANCIAL,
        0.20,
        {"role": 0.25, "offence": 0.30, "system": 0.35, "outcome": 0.33, "criminal_outcome": 0.38},
    ),
    Study(
        "synthetic-people-disciplined-2022-2025",
        "SYNTHETIC study: people disciplined for misusing police systems, FY2022/23 to FY2024/25",
        Unit.PEOPLE_DISCIPLINED,
        "SYNTHETIC: officers and staff disciplined",
        "FY2022/23 to FY2024/25",
        date(2022, 4, 1),
        date(2025, 3, 31),
        FINANCIAL,
        0.20,
        {"role": 0.26, "offence": 0.27, "system": 0.33, "outcome": 0.25, "criminal_outcome": 0.36},
    ),
)

# Per coded field: each stated code's weight among the stated ones, and wordings a force might use
# for it; then the wordings of "not stated" (blank, mostly). Codes are drawn in this order.
CODES: dict[str, tuple[dict[str, tuple[float, list[str]]], list[str]]] = {
    "role": (
        {
            Role.OFFICER: (0.52, ["Police officer", "PC", "Constable", "Sergeant", "Detective Constable"]),
            Role.STAFF: (0.38, ["Police staff", "Member of police staff", "Call handler", "Civilian staff"]),
            Role.PCSO: (0.06, ["PCSO", "Police community support officer"]),
            Role.SPECIAL: (0.04, ["Special constable", "Special"]),
        },
        ["", "", "", "Not recorded", "Unknown"],
    ),
    "offence": (
        {
            Offence.ACCESS: (
                0.55,
                [
                    "Accessed PNC for personal reasons",
                    "Viewed police records without a policing purpose",
                    "Checked a neighbour on police systems",
                    "Searched for a family member on force systems",
                    "Looked up a former partner's address",
                ],
            ),
            Offence.DISCLOSURE: (
                0.17,
                [
                    "Disclosed information to a family member",
                    "Passed police information to a third party",
                    "Leaked details of an investigation",
                ],
            ),
            Offence.SOCIAL_MEDIA: (
                0.08,
                ["Inappropriate posts on social media", "Shared police material on WhatsApp"],
            ),
            Offence.EMAIL: (
                0.05,
                [
                    "Sent force data to a personal email account",
                    "Forwarded confidential emails outside the force",
                ],
            ),
            Offence.SYSTEM_MISUSE: (0.08, ["Misuse of police systems", "Computer misuse"]),
            Offence.OTHER: (0.07, ["Misuse of a force mobile phone", "Misused force IT equipment"]),
        },
        ["", "", "Not recorded"],
    ),
    "system": (
        {
            System.PNC: (0.30, ["PNC", "Police National Computer"]),
            System.PND: (0.08, ["PND", "Police National Database"]),
            System.NICHE: (0.19, ["Niche", "Niche RMS"]),
            # The Met's crime system: its lines read CRIS where others read Niche (see _lines_draw).
            System.CRIS: (0.0, ["CRIS", "Crime Reporting Information System"]),
            System.EMAIL: (0.08, ["Email", "Force email"]),
            System.SOCIAL_MEDIA: (0.08, ["Facebook", "WhatsApp", "Instagram", "Social media"]),
            System.SEVERAL: (0.08, ["Several systems", "PNC and Niche", "Various force systems"]),
            System.OTHER: (0.19, ["Command and control", "ANPR", "Force intranet", "Body-worn video"]),
        },
        ["", "", "Not recorded"],
    ),
    "outcome": (
        {
            Outcome.DISMISSED: (0.14, ["Dismissed", "Dismissed without notice"]),
            Outcome.RESIGNED: (0.12, ["Resigned", "Retired", "Resigned before the hearing"]),
            Outcome.FINAL_WRITTEN_WARNING: (0.10, ["Final written warning"]),
            Outcome.WRITTEN_WARNING: (0.12, ["Written warning"]),
            Outcome.WARNING: (0.06, ["Warning", "Written or verbal warning"]),
            Outcome.MANAGEMENT_ACTION: (0.22, ["Management action", "Management advice", "Words of advice"]),
            Outcome.REFLECTIVE_PRACTICE: (0.06, ["Reflective practice"]),
            Outcome.MISCONDUCT_MEETING: (0.04, ["Misconduct meeting"]),
            Outcome.DISCIPLINED: (0.04, ["Disciplined", "Disciplinary action taken"]),
            Outcome.NO_FURTHER_ACTION: (0.10, ["No further action", "NFA", "No case to answer"]),
        },
        ["", "", "Not recorded", "Ongoing"],
    ),
    "criminal_outcome": (
        {
            CriminalOutcome.CONVICTED: (
                0.06,
                ["Convicted under the Computer Misuse Act 1990", "Convicted of misconduct in public office"],
            ),
            CriminalOutcome.CAUTIONED: (0.02, ["Cautioned"]),
            CriminalOutcome.NONE: (0.92, ["No criminal proceedings", "None"]),
        },
        ["", ""],
    ),
}
CODED = tuple(CODES)

# How a force answers a study, and why a refusal is refused.
STATUSES = (
    (FoiReturn.Status.ANSWERED, 0.86),
    (FoiReturn.Status.PARTIAL, 0.05),
    (FoiReturn.Status.REFUSED, 0.06),
    (FoiReturn.Status.NO_REPLY, 0.03),
)
EXEMPTIONS = (
    (FoiReturn.Exemption.S12, 0.6),
    (FoiReturn.Exemption.S31, 0.15),
    (FoiReturn.Exemption.S40, 0.15),
    (FoiReturn.Exemption.S30, 0.1),
)
WITH_LINES = (FoiReturn.Status.ANSWERED, FoiReturn.Status.PARTIAL)
EXACT_SHARE = 0.45  # of answered returns: the reply states a total, and the lines add up to it
SEVERAL_PEOPLE_SHARE = 0.06  # of lines: more than one person alike
DATED_SHARE = 0.04  # of lines: a year of their own within the study's period
SUMMARY_SHARE = 0.03  # of lines: a summary of the case
# The columns the lines are copied into, named (never by position): other columns may be added.
LINE_FIELDS = (
    "id",
    "foi_return",
    "import_batch",
    "count",
    *(name for coded in CODED for name in (coded, f"{coded}_wording")),
    "period_label",
    "period_start",
    "period_end",
    "summary",
    "summary_publishable",
    "basis",
    "disagreement",
    "notes",
)
# Blank text is text, not NULL (an unquoted empty CSV field is NULL otherwise).
NULLABLE_FIELDS = ("period_start", "period_end")


# --- The plan: everything drawn from the seed, before anything is written ---------------------


@dataclass
class SyntheticReturn:
    study: int
    force: str | None  # slug; None: the cases the study does not attribute to a force
    status: str
    exemption: str = ""
    received_on: date | None = None
    lines: int = 0
    people: int = 0
    reported_total: int | None = None


@dataclass
class SyntheticPlan:
    seed: int
    studies: tuple[Study, ...]
    returns: list[SyntheticReturn]
    # One entry per line, a return's lines together: indexes into `returns`, the codes and the
    # wordings (indexes into WORDINGS), the sub-period (into `periods`, 0: the study's own).
    line_return: np.ndarray
    count: np.ndarray
    codes: dict[str, np.ndarray]
    wordings: dict[str, np.ndarray]
    period: np.ndarray
    summary: np.ndarray  # bool
    publishable: np.ndarray  # bool
    periods: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return len(self.line_return)


def _code_table(coded: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Codes, their stated weights, and a flat wording table with each code's offset and size."""
    stated, not_stated_wordings = CODES[coded]
    codes = [*stated, NOT_STATED]
    weights = np.array([weight for weight, _ in stated.values()] + [0.0])
    per_code = [wordings for _, wordings in stated.values()] + [not_stated_wordings]
    sizes = np.array([len(w) for w in per_code])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.array(codes, dtype=object), weights / weights.sum(), offsets, sizes


CODE_TABLES = {coded: _code_table(coded) for coded in CODED}
WORDINGS = {
    coded: np.array(
        [w for _, wordings in CODES[coded][0].values() for w in wordings] + CODES[coded][1], dtype=object
    )
    for coded in CODED
}


def _code_index(coded: str, code: str) -> int:
    return list(CODE_TABLES[coded][0]).index(code)


def _sub_periods(study: Study) -> list[tuple[str, str, str]]:
    """The years within a study's period, as a line may date itself: "2009" or "FY2012/13"."""
    periods = []
    year = study.period_start.year
    while True:
        if study.year_basis == FINANCIAL:
            start, end = date(year, 4, 1), date(year + 1, 3, 31)
            label = f"FY{year}/{(year + 1) % 100:02d}"
        else:
            start, end, label = date(year, 1, 1), date(year, 12, 31), str(year)
        if end > study.period_end:
            return periods
        periods.append((label, start.isoformat(), end.isoformat()))
        year += 1


def _allocate(total: int, shares: np.ndarray) -> np.ndarray:
    """Whole numbers in proportion to `shares` adding up to exactly `total` (largest remainder)."""
    exact = total * shares / shares.sum()
    whole = np.floor(exact).astype(np.int64)
    short = total - whole.sum()
    whole[np.argsort(-(exact - whole), kind="stable")[:short]] += 1
    return whole


def synthetic_plan(*, lines: int, seed: int, forces: list[str], headcounts: list[float]) -> SyntheticPlan:
    """Draw every study's returns and lines from the seed: the same arguments, the same plan.

    Forces (slugs, in a fixed order) weigh by headcount, so big forces have more lines; every
    force answers at least one study.
    """
    rng = np.random.default_rng(seed)
    weights = np.asarray(headcounts, dtype=float)
    status_codes = np.array([status for status, _ in STATUSES], dtype=object)
    status = status_codes[
        rng.choice(len(STATUSES), size=(len(STUDIES), len(forces)), p=[p for _, p in STATUSES])
    ]
    for silent in np.flatnonzero(~np.isin(status, WITH_LINES).any(axis=0)):
        status[rng.integers(len(STUDIES)), silent] = FoiReturn.Status.ANSWERED

    returns: list[SyntheticReturn] = []
    line_return_parts = []
    for s, (study, study_lines) in enumerate(
        zip(STUDIES, _allocate(lines, np.array([st.share for st in STUDIES])), strict=True)
    ):
        study_returns = []
        for f, slug in enumerate(forces):
            foi_return = SyntheticReturn(study=s, force=slug, status=status[s, f])
            if foi_return.status == FoiReturn.Status.REFUSED:
                codes, p = zip(*EXEMPTIONS, strict=True)
                foi_return.exemption = codes[rng.choice(len(codes), p=p)]
            if foi_return.status != FoiReturn.Status.NO_REPLY:
                foi_return.received_on = study.period_end + timedelta(days=int(30 + rng.integers(120)))
            study_returns.append(foi_return)
        # Forces record and answer differently: a force's weight is its size, give or take.
        answering = np.array([r.status in WITH_LINES for r in study_returns])
        share = np.where(answering, weights * rng.lognormal(0.0, 0.35, len(forces)), 0.0)
        if study.unattributed:
            study_returns.append(
                SyntheticReturn(study=s, force=None, status=FoiReturn.Status.ANSWERED, received_on=None)
            )
            share = np.append(share, share.sum() * study.unattributed)
        with_lines = share > 0
        per_return = np.zeros(len(study_returns), dtype=np.int64)
        if study_lines >= with_lines.sum():
            # Every answering return has a line at least; the rest follow the weights.
            per_return[with_lines] = 1
            per_return += rng.multinomial(study_lines - with_lines.sum(), share / share.sum())
        else:
            per_return += rng.multinomial(study_lines, share / share.sum())
        for foi_return, n in zip(study_returns, per_return, strict=True):
            foi_return.lines = int(n)
        first = len(returns)
        returns += study_returns
        line_return_parts.append(np.repeat(np.arange(first, len(returns)), per_return))

    line_return = np.concatenate(line_return_parts)
    return _lines_draw(rng, seed, returns, line_return)


def _lines_draw(rng, seed: int, returns: list[SyntheticReturn], line_return: np.ndarray) -> SyntheticPlan:
    """Each line's count, codes, wordings, period and summary; a study's lines are together."""
    n = len(line_return)
    line_study = np.array([r.study for r in returns], dtype=np.int64)[line_return]
    bounds = np.searchsorted(line_study, np.arange(len(STUDIES) + 1))
    count = np.ones(n, dtype=np.int64)
    several = rng.random(n) < SEVERAL_PEOPLE_SHARE
    count[several] = np.minimum(1 + rng.geometric(0.5, several.sum()), 20)

    codes = {}
    for coded in CODED:
        code_names, weights, _, _ = CODE_TABLES[coded]
        drawn = np.empty(n, dtype=np.int8)
        for s, study in enumerate(STUDIES):
            not_stated = study.not_stated[coded]
            p = np.append(weights[:-1] * (1 - not_stated), not_stated)
            drawn[bounds[s] : bounds[s + 1]] = rng.choice(
                len(code_names), size=bounds[s + 1] - bounds[s], p=p
            )
        codes[coded] = drawn

    # Offences and systems go together: social media posts are made on social media.
    for offence, system in ((Offence.SOCIAL_MEDIA, System.SOCIAL_MEDIA), (Offence.EMAIL, System.EMAIL)):
        follows = (codes["offence"] == _code_index("offence", offence)) & (rng.random(n) < 0.8)
        codes["system"][follows] = _code_index("system", system)
    # The Met records crimes in CRIS, the other forces in Niche and the like.
    met = np.array([r.force == "metropolitan" for r in returns])[line_return]
    codes["system"][met & (codes["system"] == _code_index("system", System.NICHE))] = _code_index(
        "system", System.CRIS
    )
    # Dismissals follow convictions more often than other outcomes do.
    convicted = (
        (codes["outcome"] == _code_index("outcome", Outcome.DISMISSED))
        & (codes["criminal_outcome"] == _code_index("criminal_outcome", CriminalOutcome.NONE))
        & (rng.random(n) < 0.15)
    )
    codes["criminal_outcome"][convicted] = _code_index("criminal_outcome", CriminalOutcome.CONVICTED)

    wordings = {}
    for coded in CODED:
        _, _, offsets, sizes = CODE_TABLES[coded]
        code = codes[coded]
        wordings[coded] = (offsets[code] + (rng.random(n) * sizes[code]).astype(np.int64)).astype(np.int16)

    periods = [("", "", "")]
    study_periods = []
    for study in STUDIES:
        own = _sub_periods(study)
        study_periods.append((len(periods), len(own)))
        periods += own
    first_period, period_count = (np.array(column) for column in zip(*study_periods, strict=True))
    period = np.zeros(n, dtype=np.int64)
    dated = rng.random(n) < DATED_SHARE
    period[dated] = first_period[line_study[dated]] + (
        rng.random(dated.sum()) * period_count[line_study[dated]]
    ).astype(np.int64)
    summary = rng.random(n) < SUMMARY_SHARE
    publishable = summary & (rng.random(n) < 0.5)

    people = np.bincount(line_return, weights=count, minlength=len(returns)).astype(np.int64)
    exact = rng.random(len(returns)) < EXACT_SHARE
    for foi_return, total, states_total in zip(returns, people, exact, strict=True):
        foi_return.people = int(total)
        if foi_return.status == FoiReturn.Status.ANSWERED and foi_return.force and states_total:
            foi_return.reported_total = int(total)
    return SyntheticPlan(
        seed=seed,
        studies=STUDIES,
        returns=returns,
        line_return=line_return,
        count=count,
        codes=codes,
        wordings=wordings,
        period=period,
        summary=summary,
        publishable=publishable,
        periods=periods,
    )


def _csv(text: str) -> str:
    """One CSV field as COPY reads it; blank stays blank (read as '' under FORCE_NOT_NULL)."""
    if any(mark in text for mark in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _fragments(coded: str) -> list[str]:
    """Per wording (WORDINGS order): its code and the wording, as two CSV fields."""
    codes, _, offsets, sizes = CODE_TABLES[coded]
    owner = np.repeat(np.arange(len(codes)), sizes)
    return [f"{codes[c]},{_csv(wording)}" for c, wording in zip(owner, WORDINGS[coded], strict=True)]


FRAGMENTS = {coded: _fragments(coded) for coded in CODED}


def _csv_chunk(plan: SyntheticPlan, start: int, stop: int, *, first_id: int, return_ids, batch_ids) -> str:
    """Lines start..stop as CSV in LINE_FIELDS order, for COPY.

    Built from ready-made fragments (a code with its wording, a period) with one f-string per
    line: pandas' to_csv takes ten times as long.
    """
    line_return = plan.line_return[start:stop]
    coded = [[FRAGMENTS[name][w] for w in plan.wordings[name][start:stop].tolist()] for name in CODED]
    periods = [f"{_csv(label)},{first},{last}" for label, first, last in plan.periods]
    period = [periods[p] for p in plan.period[start:stop].tolist()]
    summary = [""] * (stop - start)
    offence_wordings, outcome_wordings = WORDINGS["offence"], WORDINGS["outcome"]
    for i in np.flatnonzero(plan.summary[start:stop]).tolist():
        offence = offence_wordings[plan.wordings["offence"][start + i]] or "misuse not described"
        outcome = outcome_wordings[plan.wordings["outcome"][start + i]] or "outcome not stated"
        summary[i] = _csv(f"SYNTHETIC case, not a real one: {offence}; {outcome}.")
    publishable = np.where(plan.publishable[start:stop], "t", "f").tolist()
    tail = f"{CaseLine.Basis.STATED.value},,{LINE_NOTES}\n"
    # Every coded field is a code and its wording: the five pairs, joined once per line.
    coded_fields = [",".join(pairs) for pairs in zip(*coded, strict=True)]
    rows = zip(
        range(first_id + start, first_id + stop),
        return_ids[line_return].tolist(),
        batch_ids[line_return].tolist(),
        plan.count[start:stop].tolist(),
        coded_fields,
        period,
        summary,
        publishable,
        strict=True,
    )
    return "".join(
        f"{line_id},{return_id},{batch_id},{count},{fields},{when},{text},{shown},{tail}"
        for line_id, return_id, batch_id, count, fields, when, text, shown in rows
    )


# --- The benchmark database --------------------------------------------------------------------


def bench_database_check(*, name: str) -> None:
    """Refuse any name but a plain one ending in _bench, and the app's own database."""
    if not name.endswith(BENCH_SUFFIX):
        raise SyntheticRefused(
            f"Nothing was written: “{name}” does not end in “{BENCH_SUFFIX}”. Synthetic data goes only "
            f"into a benchmark database: give a name such as misuse_tracker{BENCH_SUFFIX}."
        )
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SyntheticRefused(
            f"Nothing was written: “{name}” is not a plain database name. Use lower-case letters, digits "
            f"and underscores (at most 63), ending in “{BENCH_SUFFIX}”."
        )
    if name == connection.settings_dict["NAME"]:
        raise SyntheticRefused(
            f"Nothing was written: “{name}” is the app's own database. Synthetic data goes only into a "
            "database of its own: give another name."
        )


def _server() -> psycopg2.extensions.connection:
    """A connection to the server's maintenance database, to make and drop databases."""
    server = psycopg2.connect(**{**connection.get_connection_params(), "dbname": "postgres"})
    server.autocommit = True
    return server


def bench_database_exists(*, name: str) -> bool:
    server = _server()
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        server.close()


def bench_database_create(*, name: str, replace: bool) -> None:
    """Make the empty database `name`; if it exists, drop it first only when `replace` is given."""
    bench_database_check(name=name)
    server = _server()
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                if not replace:
                    raise SyntheticRefused(
                        f"Nothing was written: the database “{name}” exists already. "
                        "Pass --replace to drop it and build it again."
                    )
                cursor.execute(f'DROP DATABASE "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    except psycopg2.Error as error:
        raise SyntheticRefused(f"Nothing was written: {str(error).strip()}") from error
    finally:
        server.close()


def bench_database_drop(*, name: str) -> None:
    bench_database_check(name=name)
    server = _server()
    try:
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        server.close()


@contextmanager
def database_switched(*, name: str) -> Iterator[None]:
    """Point Django's default connection at another database on the same server, then back.

    As bench/export.py's build() does. Content types are cached per connection alias, not per
    database, so the cache is emptied both ways.
    """
    if connection.in_atomic_block:
        raise SyntheticRefused("Nothing was written: the database cannot be switched inside a transaction.")
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    ContentType.objects.clear_cache()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        ContentType.objects.clear_cache()


# --- Writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticSummary:
    database: str
    lines: int
    people: int
    returns: int
    studies: int
    seconds: float  # the whole build, database and reference data included
    data_seconds: float  # the synthetic data alone

    def __str__(self) -> str:
        return (
            f"Wrote {self.lines:,} SYNTHETIC case lines ({self.people:,} people) in {self.returns:,} returns "
            f"of {self.studies} studies into {self.database} in {self.seconds:.1f} s "
            f"(the synthetic data in {self.data_seconds:.1f} s)."
        )


def synthetic_database_build(
    *,
    database_name: str,
    lines: int = DEFAULT_LINES,
    seed: int = DEFAULT_SEED,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> SyntheticSummary:
    """Make the benchmark database: migrated, the real reference data, then the synthetic data.

    All or nothing: if anything fails, the database made here is dropped again.
    """
    started = time.perf_counter()
    say = say or (lambda message: None)
    bench_database_check(name=database_name)
    _size_check(lines=lines, seed=seed)
    bench_database_create(name=database_name, replace=replace)
    try:
        with database_switched(name=database_name):
            say(f"Created {database_name}; migrating and loading the reference data…")
            call_command("migrate", verbosity=0, interactive=False)
            reference_data_load(fixtures_dir=settings.BASE_DIR / "fixtures")
            say(f"Writing {lines:,} SYNTHETIC case lines (seed {seed})…")
            written = synthetic_write(lines=lines, seed=seed, progress=progress, say=say)
    except BaseException:
        bench_database_drop(name=database_name)
        raise
    return SyntheticSummary(
        database=database_name,
        lines=written.lines,
        people=written.people,
        returns=written.returns,
        studies=written.studies,
        seconds=time.perf_counter() - started,
        data_seconds=written.seconds,
    )


def _size_check(*, lines: int, seed: int) -> None:
    if lines < 1:
        raise SyntheticRefused(f"Nothing was written: --lines must be 1 or more, not {lines}.")
    if seed < 0:
        raise SyntheticRefused(f"Nothing was written: --seed must be 0 or more, not {seed}.")


def _headcounts(forces: list[Force]) -> list[float]:
    """Each force's latest headcount; a force the workforce tables leave out weighs the median."""
    latest = {}
    snapshots = WorkforceSnapshot.objects.filter(
        measure=WorkforceSnapshot.Measure.HEADCOUNT, total__isnull=False
    ).order_by("force_id", "date")
    for snapshot in snapshots:
        latest[snapshot.force_id] = float(snapshot.total)
    median = float(np.median(list(latest.values()))) if latest else 1.0
    return [latest.get(force.pk, median) for force in forces]


def _users():
    """The SYNTHETIC importer and the SYNTHETIC reviewer who approves what it imported (four eyes)."""
    User = get_user_model()
    users = []
    for username, group in ((IMPORTER, EDITOR), (REVIEWER_USERNAME, REVIEWER)):
        user = User.objects.create_user(
            username, first_name="SYNTHETIC", last_name=f"{group.lower()} (generated)"
        )
        user.groups.add(Group.objects.get(name=group))
        users.append(User.objects.get(pk=user.pk))  # fresh, so its permissions are read anew
    return users


def synthetic_write(
    *,
    lines: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> SyntheticSummary:
    """Write the SYNTHETIC studies, sources, returns and lines into the current (benchmark) database."""
    database = connection.settings_dict["NAME"]
    if not database.endswith(BENCH_SUFFIX):
        raise SyntheticRefused(f"Nothing was written: “{database}” does not end in “{BENCH_SUFFIX}”.")
    _size_check(lines=lines, seed=seed)
    say = say or (lambda message: None)
    started = time.perf_counter()
    # Everything in one transaction, which also keeps every read on this database (with a replica
    # configured, reads outside a transaction would go to the replica: the app's own database).
    with transaction.atomic():
        forces = list(Force.objects.order_by("slug"))
        plan = synthetic_plan(
            lines=lines, seed=seed, forces=[force.slug for force in forces], headcounts=_headcounts(forces)
        )
        importer, reviewer = _users()
        return_ids, source_ids, batch_ids, batches = _studies_import(plan, forces, importer)
        _lines_copy(plan, return_ids, source_ids, batch_ids, progress, say)
        say("Approving the returns…")
        approval = foi_returns_approve(
            foi_returns=FoiReturn.objects.filter(import_batch__in=batches), user=reviewer
        )
        if approval.refused:
            foi_return, reason = approval.refused[0]
            raise SyntheticRefused(f"Nothing was written: {foi_return} was not approved: {reason}.")
    with connection.cursor() as cursor:
        for model in (CaseLine, CaseLine.sources.through, FoiReturn):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return SyntheticSummary(
        database=database,
        lines=plan.lines,
        people=int(plan.count.sum()),
        returns=len(plan.returns),
        studies=len(plan.studies),
        seconds=time.perf_counter() - started,
        data_seconds=time.perf_counter() - started,
    )


def _study_request(
    study: Study, *, forces_answered: int, forces_asked: int, user
) -> tuple[Source, FoiRequest]:
    """A study's request, citing its (SYNTHETIC) report."""
    report = record_save(
        instance=Source(
            url=f"{SITE}/{study.slug}",
            title=f"SYNTHETIC report: {study.title.removeprefix('SYNTHETIC study: ')}",
            publisher=PUBLISHER,
            kind=Source.Kind.REPORT,
            published_on=study.period_end + timedelta(days=150),
            notes="SYNTHETIC: generated for benchmarks, not a real publication.",
        ),
        user=user,
        via=AuditedChange.Via.SHELL,
    ).instance
    foi_request = record_save(
        instance=FoiRequest(
            slug=study.slug,
            title=study.title,
            requester="SYNTHETIC requester (generated)",
            question=f"SYNTHETIC question: how many {study.counting_unit.removeprefix('SYNTHETIC: ')}, "
            f"{study.period_label}?",
            asked_on=study.period_end + timedelta(days=20),
            published_on=study.period_end + timedelta(days=150),
            period_label=study.period_label,
            period_start=study.period_start,
            period_end=study.period_end,
            year_basis=study.year_basis,
            unit=study.unit,
            counting_unit=study.counting_unit,
            forces_asked=forces_asked,
            forces_answered=forces_answered,
            notes="SYNTHETIC: generated for benchmarks; not real figures.",
        ),
        user=user,
        m2m={"sources": [report]},
        via=AuditedChange.Via.SHELL,
    ).instance
    return report, foi_request


def _studies_import(plan: SyntheticPlan, forces: list[Force], importer):
    """Each study as a request with its report, imported as one batch of returns citing their replies.

    Returns, per planned return, its id, the source its lines cite and its batch's id; and the batches.
    """
    by_slug = {force.slug: force for force in forces}
    return_ids = np.zeros(len(plan.returns), dtype=np.int64)
    source_ids = np.zeros(len(plan.returns), dtype=np.int64)
    batch_ids = np.zeros(len(plan.returns), dtype=np.int64)
    batches = []
    for s, study in enumerate(plan.studies):
        indexes = [i for i, r in enumerate(plan.returns) if r.study == s]
        answered = sum(1 for i in indexes if plan.returns[i].force and plan.returns[i].status in WITH_LINES)
        report, foi_request = _study_request(
            study, forces_answered=answered, forces_asked=len(forces), user=importer
        )
        urls = {}
        for i in indexes:
            foi_return = plan.returns[i]
            if foi_return.force is None or foi_return.status == FoiReturn.Status.NO_REPLY:
                # The study's report is the source for what it does not attribute, and for silence.
                urls[i] = report.url
                continue
            force = by_slug[foi_return.force]
            reply = record_save(
                instance=Source(
                    url=f"{SITE}/{study.slug}/{force.slug}",
                    title=f"SYNTHETIC reply from {force.name} to “{study.title}”"[:300],
                    publisher=PUBLISHER,
                    kind=Source.Kind.FOI_RESPONSE,
                    published_on=foi_return.received_on,
                    notes="SYNTHETIC: generated for benchmarks, not a real reply.",
                ),
                user=importer,
                via=AuditedChange.Via.SHELL,
            ).instance
            urls[i] = reply.url
        fingerprint = f"SYNTHETIC {study.slug} seed {plan.seed} lines {plan.lines}"
        import_plan = ImportPlan(
            foi_request=foi_request,
            # No file: the lines go in by COPY below, not through the plan.
            spreadsheet=Spreadsheet(
                name=f"SYNTHETIC {study.slug} (generated, seed {plan.seed})",
                size=0,
                sha256=hashlib.sha256(fingerprint.encode()).hexdigest(),
                rows=[],
            ),
            returns=[
                PlannedReturn(
                    force=by_slug.get(plan.returns[i].force),
                    first_row=n,
                    values={
                        "status": plan.returns[i].status,
                        "exemption": plan.returns[i].exemption,
                        "received_on": plan.returns[i].received_on,
                        "reported_total": plan.returns[i].reported_total,
                    },
                    source_urls=[urls[i]],
                )
                for n, i in enumerate(indexes, start=2)
            ],
        )
        batch = foi_return_import(plan=import_plan, user=importer, via=ImportBatch.Via.COMMAND)
        batch.rows = sum(plan.returns[i].lines for i in indexes)
        batch.save(update_fields=["rows"])
        batches.append(batch)
        saved = {
            force_id: pk
            for force_id, pk in FoiReturn.objects.filter(import_batch=batch).values_list("force_id", "pk")
        }
        sources = dict(Source.objects.filter(url__in=urls.values()).values_list("url", "pk"))
        for i in indexes:
            force = by_slug.get(plan.returns[i].force)
            return_ids[i] = saved[force.pk if force else None]
            source_ids[i] = sources[urls[i]]
            batch_ids[i] = batch.pk
    return return_ids, source_ids, batch_ids, batches


@contextmanager
def _bulk_load(cursor, *, tables: list[str]) -> Iterator[None]:
    """Drop the tables' foreign keys and plain indexes for a bulk load; make them again after, as they were.

    PostgreSQL checks a foreign key row by row on COPY (three checks a line here: it doubled the
    load's time) but all rows in one join when the key is added, and builds an index faster than it
    grows one; its manual advises both ("Populating a Database"). Primary keys and unique indexes
    stay, and check every row as it comes. All inside the load's transaction: nobody else ever sees
    the tables without them.
    """
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid, conname",
        [tables],
    )
    keys = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique AND NOT indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
        [tables],
    )
    indexes = cursor.fetchall()
    # A table with checks still pending cannot be altered: run them now (what the services wrote).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table, name, _ in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        cursor.execute(definition)
    for table, name, definition in keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _lines_copy(plan: SyntheticPlan, return_ids, source_ids, batch_ids, progress, say) -> None:
    """COPY the lines, and the source each cites, in chunks, into the open transaction."""
    table = CaseLine._meta.db_table
    through = CaseLine.sources.through
    columns = [CaseLine._meta.get_field(name).column for name in LINE_FIELDS]
    not_null = [CaseLine._meta.get_field(name).column for name in LINE_FIELDS if name not in NULLABLE_FIELDS]
    line_sql = (
        f"COPY {table} ({', '.join(columns)}) FROM STDIN "
        f"WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(not_null)}))"
    )
    cited_columns = [through._meta.get_field(name).column for name in ("caseline", "source")]
    sources_sql = f"COPY {through._meta.db_table} ({', '.join(cited_columns)}) FROM STDIN WITH (FORMAT csv)"
    with connection.cursor() as cursor:
        # Reserve the lines' ids, so each line's source rows can name it; nothing else inserts meanwhile.
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
        first_id = cursor.fetchone()[0]
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first_id + plan.lines - 1]
        )

        def chunk(start: int) -> tuple[int, bytes, bytes]:
            stop = min(start + CHUNK_LINES, plan.lines)
            lines_csv = _csv_chunk(
                plan, start, stop, first_id=first_id, return_ids=return_ids, batch_ids=batch_ids
            )
            line_ids = range(first_id + start, first_id + stop)
            cited = source_ids[plan.line_return[start:stop]].tolist()
            cited_csv = "".join(
                f"{line_id},{source_id}\n" for line_id, source_id in zip(line_ids, cited, strict=True)
            )
            return stop, lines_csv.encode(), cited_csv.encode()

        with _bulk_load(cursor, tables=[table, through._meta.db_table]), ThreadPoolExecutor(1) as worker:
            # The next chunk is made while PostgreSQL reads this one (the driver lets go of the GIL).
            pending = worker.submit(chunk, 0)
            done = 0
            while done < plan.lines:
                done, lines_csv, cited_csv = pending.result()
                if done < plan.lines:
                    pending = worker.submit(chunk, done)
                cursor.cursor.copy_expert(line_sql, io.BytesIO(lines_csv), size=1 << 20)
                cursor.cursor.copy_expert(sources_sql, io.BytesIO(cited_csv), size=1 << 20)
                if progress:
                    progress(done, plan.lines)
            say("Building the indexes again and checking the keys…")
