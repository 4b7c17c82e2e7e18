"""Downloads: the same rows as the page, as CSV, JSON, XLSX or a ZIP bundle.

Case lines stream straight out of PostgreSQL a page of line ids at a time (`COPY … TO STDOUT`
for the CSV, one `string_agg` of `row_to_json` for the JSON), so a million lines neither
truncate nor grow the process. Every text cell that a spreadsheet would take for a formula is
neutralised with a leading apostrophe, by one rule written below in Python and in SQL; numbers
stay numbers.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import psycopg2.extensions
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.text import slugify

from cases.models import CaseLine, CriminalOutcome, FoiReturn, Offence, Outcome, Role, Source, System, Unit

# A cell starting with one of these is read as a formula (or DDE) by Excel, LibreOffice and
# Google Sheets. NUL cannot occur in PostgreSQL text, but may in Python strings.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
CHUNK_BYTES = 64 * 1024
# A download reads this many line ids at a time: at most ~5 MB of CSV a page. A page of JSON
# arrives as one value, held twice on its way through libpq and psycopg2: a quarter as many.
PAGE_IDS = 10_000
JSON_PAGE_IDS = PAGE_IDS // 4


def formula_safe(value):
    """A text cell a spreadsheet cannot run; numbers, dates and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# Every trigger is below "A" (65), so most cells pass with one integer comparison of their first
# character's code (ascii() of an empty string is 0).
_TRIGGER_CODES = ", ".join(str(ord(trigger)) for trigger in FORMULA_TRIGGERS if trigger != "\0")
assert max(map(ord, FORMULA_TRIGGERS)) < 65


def formula_safe_sql(expression: str) -> str:
    """`formula_safe` in SQL, for the text read per line; everything else is made safe in Python."""
    return (
        f"CASE WHEN ascii({expression}) < 65 AND ascii({expression}) IN ({_TRIGGER_CODES}) "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    # Over `l`, the line; `r`, its return (every value already formula-safe: `_return_record`);
    # and `s`, its sources.
    sql: str


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _label(column: str, choices) -> str:
    """A code's label (our own words, made safe here)."""
    whens = " ".join(f"WHEN {_literal(code)} THEN {_literal(formula_safe(label))}" for code, label in choices)
    return f"CASE {column} {whens} END"


# The documented columns of a case-line export, in order. The data dictionary is built from
# this list, so the file and its documentation cannot drift apart. CHECK constraints hold the
# codes (role, offence, system, outcome, criminal outcome) to values no spreadsheet runs; every
# other text read per line goes through formula_safe_sql.
COLUMNS: list[Column] = [
    Column("line_id", "Misuse Tracker's id for the line.", "l.id"),
    Column("request", "The FOI request or study (its slug on /requests/).", "r.request"),
    Column("request_title", "The request or study's title.", "r.request_title"),
    Column(
        "unit",
        "What one counted case is (code): "
        + ", ".join(Unit.values)
        + ". Never add lines of different units.",
        "r.unit",
    ),
    Column("unit_label", "What one counted case is, in words.", "r.unit_label"),
    Column(
        "counting_unit", "What one counted case is, in the study's sources' own words.", "r.counting_unit"
    ),
    Column("force", "The force's slug; empty where the sources do not name the force.", "r.force"),
    Column(
        "force_name", "The force's name; 'Force not stated' where the sources do not name it.", "r.force_name"
    ),
    Column("region", "The force's region (Home Office grouping).", "r.region"),
    Column(
        "period",
        "The period as the source states it.",
        f"CASE WHEN l.period_label = '' THEN r.period ELSE {formula_safe_sql('l.period_label')} END",
    ),
    Column(
        "period_start",
        "First day of the period (empty: not dated).",
        "COALESCE(l.period_start, r.period_start)",
    ),
    Column(
        "period_end", "Last day of the period (empty: not dated).", "COALESCE(l.period_end, r.period_end)"
    ),
    Column("count", "How many people (or the study's unit) the line holds; at least 1.", "l.count"),
    Column("role", "Role code: " + ", ".join(Role.values) + ".", "l.role"),
    Column("role_label", "What the role code means.", _label("l.role", Role.choices)),
    Column("role_wording", "The role in the sources' own words.", formula_safe_sql("l.role_wording")),
    Column("offence", "Offence code: " + ", ".join(Offence.values) + ".", "l.offence"),
    Column("offence_label", "What the offence code means.", _label("l.offence", Offence.choices)),
    Column(
        "offence_wording",
        "The offence in the force's or sources' own words.",
        formula_safe_sql("l.offence_wording"),
    ),
    Column("system", "System code: " + ", ".join(System.values) + ".", "l.system"),
    Column("system_label", "What the system code means.", _label("l.system", System.choices)),
    Column("system_wording", "The system in the sources' own words.", formula_safe_sql("l.system_wording")),
    Column("outcome", "Outcome code: " + ", ".join(Outcome.values) + ".", "l.outcome"),
    Column("outcome_label", "What the outcome code means.", _label("l.outcome", Outcome.choices)),
    Column(
        "outcome_wording", "The outcome in the sources' own words.", formula_safe_sql("l.outcome_wording")
    ),
    Column(
        "criminal_outcome",
        "Criminal outcome code: " + ", ".join(CriminalOutcome.values) + ".",
        "l.criminal_outcome",
    ),
    Column(
        "criminal_outcome_label",
        "What the criminal outcome code means.",
        _label("l.criminal_outcome", CriminalOutcome.choices),
    ),
    Column(
        "basis",
        "stated: read from the sources; remainder: computed from a published total.",
        formula_safe_sql("l.basis"),
    ),
    Column(
        "return_status", "The force's answer: " + ", ".join(FoiReturn.Status.values) + ".", "r.return_status"
    ),
    Column(
        "force_lines_complete",
        "yes: this force's lines in this study add up to its whole published total; no: they are only "
        "part of it (or no total is published), so their sum is 'at least' that number.",
        "r.force_lines_complete",
    ),
    Column(
        "force_lines_total",
        "The sum of all this force's lines in this study (not only the filtered ones).",
        "r.force_lines_total",
    ),
    Column(
        "force_total_published",
        "The total the reply or the published figures give for this force and study; empty: none.",
        "r.force_total_published",
    ),
    Column(
        "summary",
        "A summary of the case, where one is published; else empty.",
        f"CASE WHEN l.summary_publishable THEN {formula_safe_sql('l.summary')} ELSE '' END",
    ),
    Column(
        "disagreement",
        "Where the sources disagree about this line, in their words.",
        formula_safe_sql("l.disagreement"),
    ),
    Column("source_titles", "Titles of the sources the line cites, separated by ' | '.", "s.titles"),
    Column("source_urls", "Addresses of the sources, in the same order, separated by ' '.", "s.urls"),
]
HEADER = [column.name for column in COLUMNS]

# What the export reads of each line, and of each return (with its SQL type).
LINE_FIELDS = [
    "id",
    "foi_return_id",
    "period_label",
    "period_start",
    "period_end",
    "count",
    "role",
    "role_wording",
    "offence",
    "offence_wording",
    "system",
    "system_wording",
    "outcome",
    "outcome_wording",
    "criminal_outcome",
    "basis",
    "summary",
    "summary_publishable",
    "disagreement",
]
RETURN_FIELDS = {
    "id": "bigint",
    "request": "text",
    "request_title": "text",
    "unit": "text",
    "unit_label": "text",
    "counting_unit": "text",
    "force": "text",
    "force_name": "text",
    "region": "text",
    "period": "text",
    "period_start": "date",
    "period_end": "date",
    "return_status": "text",
    "force_lines_complete": "text",
    "force_lines_total": "bigint",
    "force_total_published": "text",
}


def _return_record(foi_return: FoiReturn, completeness: tuple[bool, int, str] | None) -> tuple:
    """What every line of a return repeats, formula-safe, worked out once per return.

    Whether the return's lines are all of its total comes from the figures engine (the one
    completeness rule), so summing a download cannot pass for a complete total.
    """
    request, force = foi_return.request, foi_return.force
    complete, lines_total, total_text = completeness or (False, None, "")
    record = {
        "id": foi_return.id,
        "request": request.slug,
        "request_title": request.title,
        "unit": request.unit,
        "unit_label": dict(Unit.choices).get(request.unit),
        "counting_unit": request.counting_unit,
        "force": force.slug if force else "",
        "force_name": force.name if force else "Force not stated",
        "region": force.region if force else "",
        "period": request.period_label,
        "period_start": request.period_start,
        "period_end": request.period_end,
        "return_status": foi_return.status,
        "force_lines_complete": "yes" if complete else "no",
        "force_lines_total": lines_total,
        "force_total_published": total_text,
    }
    return tuple(formula_safe(record[name]) for name in RETURN_FIELDS)


class CaseLineExport:
    """A case-line download: the filterset's lines with every column, in id order, by pages of ids.

    The plan each page is written for (EXPLAIN it on a large database before changing it): the
    lines in id order from the primary key, no sort; each line's return found in a short list
    (a Memoize node: worked out once per return); the sources of the page's lines aggregated in
    the same id order and merge-joined (no lookup per line).
    """

    def __init__(self, filterset):
        self.filterset = filterset

    @contextmanager
    def reading(self):
        """One snapshot for every page: a read-only repeatable-read transaction (or the caller's)."""
        outermost = not connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            if outermost:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cursor.cursor

    def _prepared(self, cursor):
        """What every page is read with: the matching ids' SQL and parameters, and a function of an
        id range (after, upto] giving that page's SELECT; None when no public return is reached."""
        from reports.engine import return_completeness

        returns = list(self.filterset.returns().select_related("request", "force"))
        lines = self.filterset.lines_of([r.id for r in returns])
        id_sql, id_params = lines.order_by().values_list("id").query.sql_with_params()
        completeness = return_completeness()
        records = [_return_record(r, completeness.get(r.id)) for r in returns]
        if not records:
            return None
        arrays = ", ".join(f"%s::{kind}[]" for kind in RETURN_FIELDS.values())
        per_return = cursor.mogrify(arrays, [list(values) for values in zip(*records, strict=True)]).decode()
        sql, params = lines.order_by("id").values_list(*LINE_FIELDS).query.sql_with_params()
        inner = cursor.mogrify(sql, params).decode()
        select = ", ".join(f"{column.sql} AS {column.name}" for column in COLUMNS)
        titles = formula_safe_sql("string_agg(src.title, ' | ' ORDER BY src.publisher, src.url)")
        urls = formula_safe_sql("string_agg(src.url, ' ' ORDER BY src.publisher, src.url)")

        def between(after: int, upto: int) -> str:
            after, upto = int(after), int(upto)
            return (
                f"SELECT {select} FROM ({inner}) AS l({', '.join(LINE_FIELDS)}) "
                # OFFSET 0 keeps this lookup a nested loop, and so the lines in their order.
                f"CROSS JOIN LATERAL (SELECT * FROM unnest({per_return}) AS v({', '.join(RETURN_FIELDS)}) "
                "WHERE v.id = l.foi_return_id OFFSET 0) AS r "
                f"LEFT JOIN (SELECT ls.caseline_id, {titles} AS titles, {urls} AS urls "
                "FROM cases_caseline_sources ls JOIN cases_source src ON src.id = ls.source_id "
                f"WHERE ls.caseline_id > {after} AND ls.caseline_id <= {upto} GROUP BY ls.caseline_id) AS s "
                "ON s.caseline_id = l.id "
                f"WHERE l.id > {after} AND l.id <= {upto} ORDER BY l.id"
            )

        return id_sql, id_params, between

    def pages(self, cursor, *, ids: int | None = None) -> Iterator[str]:
        """The SELECT of each page of `ids` matching lines (PAGE_IDS), in order; none when none match.

        Each page's id range is found just before it is read (the next `ids` matching ids, from
        the primary key in order), so a page is never empty and a download's first lines are
        not held up by counting the rest.
        """
        prepared = self._prepared(cursor)
        if prepared is None:
            return
        id_sql, id_params, between = prepared
        ids = ids or PAGE_IDS
        after = 0
        while True:
            cursor.execute(
                f"SELECT max(id), count(*) FROM (SELECT id FROM ({id_sql}) AS m(id) WHERE id > %s "
                "ORDER BY id LIMIT %s) AS page",
                [*id_params, after, ids],
            )
            upto, found = cursor.fetchone()
            if not found:
                return
            yield between(after, upto)
            after = upto

    def json_rows(self, *, after: int, upto: int) -> list[dict]:
        """The matching lines with ids in (after, upto], each as the JSON download writes it (the API's
        pages of case lines: the same SELECT, so the same values)."""
        with self.reading() as cursor:
            prepared = self._prepared(cursor)
            if prepared is None:
                return []
            _, _, between = prepared
            page = between(after, upto)
            cursor.execute(f"SELECT coalesce(json_agg(p ORDER BY p.line_id), '[]'::json) FROM ({page}) AS p")
            return cursor.fetchone()[0]

    def rows(self) -> Iterator[tuple]:
        """Every row as Python values (numbers, dates, text), for the XLSX."""
        with self.reading() as cursor:
            for page in self.pages(cursor):
                cursor.execute(page)
                yield from cursor.fetchall()


@dataclass
class CopyResult:
    rows: int = 0


def csv_stream(export: CaseLineExport, *, result: CopyResult) -> Iterator[bytes]:
    """The header at once, before any query; then each page of lines, as PostgreSQL's COPY writes it.

    A page that fails raises here, mid-stream, and the server aborts the transfer: a broken
    download never looks complete.
    """
    yield (",".join(HEADER) + "\n").encode()
    with export.reading() as cursor:
        for page in export.pages(cursor):
            written = io.BytesIO()
            cursor.copy_expert(f"COPY ({page}) TO STDOUT WITH (FORMAT csv)", written)
            result.rows += cursor.rowcount
            if cursor.rowcount:
                yield written.getvalue()


def json_stream(export: CaseLineExport, meta: dict, result: CopyResult) -> Iterator[bytes]:
    """{"meta": {...}, "rows": [{column: value, ...}, ...]}, one row a line, streamed like the CSV."""
    yield b'{"meta": ' + json.dumps(meta, default=str).encode() + b', "rows": ['
    separator = b"\n"
    with export.reading() as cursor:
        psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cursor)  # the text as sent, undecoded
        for page in export.pages(cursor, ids=JSON_PAGE_IDS):
            cursor.execute(
                "SELECT count(*), string_agg(row_to_json(p)::text, E',\\n' ORDER BY p.line_id) "
                f"FROM ({page}) AS p"
            )
            count, rows = cursor.fetchone()
            result.rows += count
            if count:
                yield separator
                yield rows
                separator = b",\n"
    yield b"\n]}\n"


# --- Tables of figures: every cell a Figure from the engine --------------------------------


def _figure_cells(name: str, figure) -> dict:
    """A figure in a download: its number (empty when not known) and whether it is exact."""
    return {name: figure.value, f"{name}_is": figure.status}


def _table(records: list[dict]) -> tuple[list[str], list[list]]:
    header = list(records[0])
    return header, [[record[name] for name in header] for record in records]


# The figures of a force-table row (the engine Row's attribute of that name) and the view
# headline's key that totals each.
FORCE_ROW_FIGURES = {
    "cases": "cases",
    "officers": "officers",
    "staff": "staff",
    "dismissed": "dismissed",
    "resigned": "resigned",
    "other_outcomes": "other",
    "outcome_not_stated": "not_stated",
}

ROW_KINDS = {
    "force": "a force's answer to one study",
    "not_attributed": "the part of a study's published total that no source attributes to a force",
    "total": "the sum of the rows above, as the page's headline reads it: not a row to add",
}


def force_table(view, *, total: bool = False) -> tuple[list[str], list[list]]:
    """The per-force rows of an engine view; with `total`, a last row holding the view's headline
    (the page's "All rows"), so that the file reads as the page does: a study's published total is
    exact even where some of its forces' rows read "at least"."""
    records = []
    for row in view.rows:
        record = {
            "row": "force" if row.force else "not_attributed",
            "force": row.force.slug if row.force else "",
            "force_name": row.name,
            "request": row.foi_request.slug,
            "request_title": row.foi_request.title,
            "period": row.foi_request.period_label,
            "unit": row.foi_request.unit,
            "unit_label": row.unit_label,
        }
        for name in FORCE_ROW_FIGURES:
            record |= _figure_cells(name, getattr(row, name))
        record |= {
            "complete": "yes" if row.cases.complete else "no",
            "per_1000_headcount": row.rate.per_1000,
            "per_1000_headcount_a_year": row.rate.per_1000_a_year,
            # A headcount is a whole number of people (3728, not 3728.00).
            "headcount": int(row.rate.headcount) if row.rate.headcount is not None else None,
            "headcount_date": row.rate.headcount_date,
            "period_years": row.rate.years,
            "rate_note": row.rate.description,
            "source_titles": " | ".join(s.title for s in row.sources),
            "source_urls": " ".join(s.url for s in row.sources),
        }
        records.append(record)
    if not records:
        return FORCE_TABLE_HEADER, []
    if total and len(records) > 1:
        records.append(_total_record(view))
    return _table(records)


def _total_record(view) -> dict:
    headline = view.headline
    record = {
        "row": "total",
        "force": "",
        "force_name": "All rows",
        "request": "",
        "request_title": "",
        "period": "",
        "unit": view.unit,
        "unit_label": view.unit_label,
    }
    for name, key in FORCE_ROW_FIGURES.items():
        record |= _figure_cells(name, headline[key])
    return record | {
        "complete": "yes" if headline["cases"].complete else "no",
        "per_1000_headcount": None,
        "per_1000_headcount_a_year": None,
        "headcount": None,
        "headcount_date": None,
        "period_years": None,
        "rate_note": "No rate for a sum of forces",
        "source_titles": "",
        "source_urls": "",
    }


FORCE_TABLE_HEADER = (
    ["row", "force", "force_name", "request", "request_title", "period", "unit", "unit_label"]
    + [f"{name}{suffix}" for name in FORCE_ROW_FIGURES for suffix in ("", "_is")]
    + [
        "complete",
        "per_1000_headcount",
        "per_1000_headcount_a_year",
        "headcount",
        "headcount_date",
        "period_years",
        "rate_note",
        "source_titles",
        "source_urls",
    ]
)


def breakdown_table(view, breakdown) -> tuple[list[str], list[list]]:
    dimension = breakdown.dimension
    header = [dimension, f"{dimension}_label", "unit", "unit_label", "cases", "cases_is", "forces"]
    body = [
        [c.code, c.label, view.unit, view.unit_label, c.figure.value, c.figure.status, c.forces]
        for c in breakdown.stated
    ]
    if breakdown.not_stated.known or breakdown.stated:
        body.append(
            [
                "not_stated",
                "Not stated",
                view.unit,
                view.unit_label,
                breakdown.not_stated.value,
                breakdown.not_stated.status,
                None,
            ]
        )
    return header, body


DASHBOARD_TABLES = {
    "forces": "By force and study",
    "offences": "By offence",
    "outcomes": "By outcome",
    "roles": "By role",
    "systems": "By system misused",
}


def dashboard_table(view, table: str) -> tuple[list[str], list[list]]:
    """One of the dashboard's tables (a key of DASHBOARD_TABLES) for an engine view."""
    if table == "forces":
        return force_table(view, total=True)
    return breakdown_table(view, view.breakdowns[table.removesuffix("s")])


HEADLINE_FIGURES = ("cases", "officers", "staff", "dismissed", "resigned", "other", "not_stated")


def headline_record(view) -> dict:
    """The dashboard's headline for an engine view: each figure as its number and kind, in one unit."""
    record = {"unit": view.unit, "unit_label": view.unit_label}
    for name in HEADLINE_FIGURES:
        record |= _figure_cells(name, view.headline[name])
    record |= _figure_cells("not_attributed", view.unattributed)
    record |= {"named_forces": view.named_forces, "studies": [study.slug for study in view.studies]}
    return record


def force_list_table(forces: list[dict]) -> tuple[list[str], list[list]]:
    header = [
        "force",
        "name",
        "short_name",
        "region",
        "country",
        "kind",
        "ons_code",
        "studies_with_lines",
        "published_figures",
        "units_counted",
    ]
    body = [
        [
            item["force"].slug,
            item["force"].name,
            item["force"].short_name,
            item["force"].region,
            item["force"].country,
            item["force"].get_kind_display(),
            item["force"].ons_code,
            item["studies"],
            item["figures"],
            "; ".join(item["units"]),
        ]
        for item in forces
    ]
    return header, body


def studies_table(studies: list[dict]) -> tuple[list[str], list[list]]:
    header = [
        "request",
        "title",
        "requester",
        "period",
        "period_start",
        "period_end",
        "year_basis",
        "unit",
        "unit_label",
        "counting_unit_as_worded",
        "forces_asked",
        "forces_answered",
        "national_total_as_published",
        "national_total_unit",
        "national_total_period",
        "national_total_covers",
        "held_in_lines",
        "held_in_lines_is",
        "source_urls",
    ]
    body = []
    for item in studies:
        study = item["request"]
        held = item["held"]
        body.append(
            [
                study.slug,
                study.title,
                study.requester,
                study.period_label,
                study.period_start,
                study.period_end,
                study.get_year_basis_display(),
                study.unit,
                item["unit_label"],
                study.counting_unit,
                study.forces_asked,
                study.forces_answered,
                item["published"].display if item["published"] else None,
                item["published_unit_label"] or None,
                item["published_period"] or None,
                item["published_scope"] or None,
                held.value if held else None,
                held.status if held else "not held as lines",
                " ".join(source.url for source in study.sources.all()),
            ]
        )
    return header, body


FIGURE_COLUMNS = [
    ("figure_id", "Misuse Tracker's id for the figure."),
    ("request", "The study or FOI request (its slug on /requests/)."),
    ("request_title", "The study's title."),
    ("force", "The force's slug; empty for a national figure or forces not named."),
    ("scope", "Whom the figure covers, as the source says."),
    ("kind", "The kind of figure (code)."),
    ("what", "What the figure counts, in words."),
    ("unit", "What one counted thing is (code). Never add figures of different units."),
    ("unit_label", "What one counted thing is, in words."),
    ("value", "The number as published; empty where the source gives none."),
    ("qualifier", "exact, over, at_least, or no_number: how the source states it."),
    ("value_as_published", "The number in words as the source states it ('over 70')."),
    ("role_as_worded", "Whom it counts, in the source's words."),
    ("period", "The period as the source states it."),
    ("quote", "The source's own words."),
    ("source_publisher", "Who published the source."),
    ("source_title", "The source's title."),
    ("source_url", "The source's address."),
    ("notes", "Our notes on the figure."),
    ("uncertain", "Why the figure is uncertain, where it is marked so; empty: not marked uncertain."),
    (
        "sources_differ",
        "Where the sources read this figure differently: each source's reading, in its words.",
    ),
]


def figures_table(figures) -> tuple[list[str], list[list]]:
    header = [name for name, _ in FIGURE_COLUMNS]
    body = [
        [
            f.id,
            f.request.slug,
            f.request.title,
            f.force.slug if f.force else "",
            f.scope,
            f.metric_as_recorded,
            f.description,
            f.unit,
            f.get_unit_display(),
            f.value,
            f.qualifier,
            f.value_display,
            f.role_wording,
            f.period_label,
            f.quote,
            f.source.publisher,
            f.source.title,
            f.source.url,
            f.notes,
            f.uncertain,
            f.disagreement,
        ]
        for f in figures
    ]
    return header, body


RETURN_COLUMNS = [
    ("return_id", "Misuse Tracker's id for the return (the force's answer to one request)."),
    ("request", "The FOI request or study (its slug on /requests/)."),
    ("request_title", "The request or study's title."),
    ("force", "The force's slug; empty for the cases a study does not attribute to a force."),
    ("force_name", "The force's name; 'Force not stated' where the sources do not name it."),
    ("status", "The force's answer (code): " + ", ".join(FoiReturn.Status.values) + "."),
    ("status_label", "The force's answer, in words."),
    ("exemption", "The exemption a refusal cites (code); empty: none."),
    ("exemption_label", "The exemption, in words; empty: none."),
    ("received_on", "When the answer was received; empty: not stated."),
    ("unit", "What one counted case is (code). Never add returns of different units."),
    ("lines_total", "The sum of the return's case lines; empty: it holds no lines."),
    (
        "lines_complete",
        "yes: the lines add up to the return's whole published total; no: only part of it (or no "
        "total is published), so their sum is 'at least' that number; empty: no lines.",
    ),
    ("total_published", "The total the reply or the published figures give; empty: none."),
    ("notes", "Our notes on the answer."),
]


def returns_table(returns) -> tuple[list[str], list[list]]:
    """Public returns (with request and force joined) and what the engine says of their lines: the
    same completeness rule as the case-line download's force_lines_* columns."""
    from reports.engine import return_completeness

    completeness = return_completeness()
    header = [name for name, _ in RETURN_COLUMNS]
    body = []
    for foi_return in returns:
        held = completeness.get(foi_return.id)
        force = foi_return.force
        body.append(
            [
                foi_return.id,
                foi_return.request.slug,
                foi_return.request.title,
                force.slug if force else "",
                force.name if force else "Force not stated",
                foi_return.status,
                foi_return.get_status_display(),
                foi_return.exemption,
                foi_return.get_exemption_display() if foi_return.exemption else "",
                foi_return.received_on,
                foi_return.request.unit,
                held[1] if held else None,
                ("yes" if held[0] else "no") if held else None,
                held[2] if held else "",
                foi_return.notes,
            ]
        )
    return header, body


# --- Small tables, rendered in Python ---------------------------------------------------------


def csv_bytes(header: list[str], rows: Iterable[list], *, bom: bool = False) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        yield "\ufeff".encode()
    writer.writerow([formula_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([formula_safe(cell) for cell in row])
        if buffer.tell() > CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_file(header: list[str], rows: Iterable[list], *, notes: list[str], path) -> int:
    """Write a workbook (data sheet, then an About sheet) to `path`; return the data rows written."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("data")
    data.append([formula_safe(cell) for cell in header])
    written = 0
    for row in rows:
        if written == XLSX_MAX_ROWS:
            notes = [*notes, f"Cut at {XLSX_MAX_ROWS:,} rows, Excel's limit: download the CSV for every row."]
            break
        # formula_safe also keeps openpyxl from storing a string starting with "=" as a formula.
        data.append([formula_safe(cell) for cell in row])
        written += 1
    about = workbook.create_sheet("about")
    for note in notes:
        about.append([formula_safe(note)])
    workbook.save(path)
    return written


# --- Files about the files --------------------------------------------------------------------


def filename(table: str, params, extension: str, *, today: date) -> str:
    """misuse-tracker_cases_surrey-metropolitan_dismissed_2026-11-21.csv"""
    parts = []
    for name in params:
        if name in {"sort", "page", "excel"}:
            continue
        values = "-".join(slugify(value) for value in params.getlist(name) if value)
        if values:
            parts.append(values)
    label = "_".join(parts)[:80].strip("-_") or "all"
    return f"misuse-tracker_{table}_{label}_{today.isoformat()}.{extension}"


def data_dictionary() -> str:
    lines = [
        "# Data dictionary",
        "",
        "Columns of cases.csv, in order.",
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{column.name}` | {column.description} |" for column in COLUMNS]
    for title, choices in (
        ("Role", Role.choices),
        ("Offence", Offence.choices),
        ("System misused", System.choices),
        ("Outcome (most severe first)", Outcome.choices),
        ("Criminal outcome", CriminalOutcome.choices),
        ("Return status", FoiReturn.Status.choices),
    ):
        lines += ["", f"## {title}", "", "| code | meaning |", "|---|---|"]
        lines += [f"| `{code}` | {label} |" for code, label in choices]
    lines += [
        "",
        "## Conventions",
        "",
        "- 'not_stated' is a value of its own: the sources do not say. It is never zero.",
        "- A text cell that would start with = + - @ or a tab, carriage return or line feed starts with "
        "an apostrophe instead, so no spreadsheet runs it as a formula. Remove the apostrophe to recover "
        "the text.",
        "- Lines with basis 'remainder' are computed from a published total, not read from a source.",
        "",
    ]
    return "\n".join(lines)


def sources_markdown(lines: QuerySet[CaseLine]) -> str:
    sources = Source.objects.filter(case_lines__in=lines).distinct().order_by("publisher", "title")
    body = ["# Sources", "", "Every source the exported lines cite.", ""]
    body += [
        f"- {s.publisher}{', ' + s.published_on.isoformat() if s.published_on else ''}: {s.title}. {s.url}"
        for s in sources.iterator()
    ]
    return "\n".join(body) + "\n"


def citation_text(*, permalink: str, version: str, today: date) -> str:
    return (
        "Misuse Tracker: UK police discipline for misusing force IT, from Freedom of Information figures.\n"
        f"Dataset version: {version}\n"
        f"Downloaded: {today.isoformat()}\n"
        f"This view: {permalink}\n"
        "Cite each figure's own source too: see SOURCES.md and the source_titles / source_urls columns.\n"
    )


class ZipSink:
    """An unseekable file that zipfile writes into and the response reads out of."""

    def __init__(self):
        self.buffer = bytearray()

    def write(self, data) -> int:
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.buffer = bytes(self.buffer), bytearray()
        return data


def zip_stream(*, csv_chunks: Iterator[bytes], members: dict[str, str]) -> Iterator[bytes]:
    """A ZIP holding cases.csv (streamed) and small text members, written as it goes."""
    sink = ZipSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
            yield sink.take()
        with archive.open("cases.csv", "w", force_zip64=True) as member:
            for chunk in csv_chunks:
                member.write(chunk)
                yield sink.take()
    yield sink.take()
