"""Downloads: the same rows as the page, as CSV, JSON, XLSX or a ZIP bundle.

Case lines stream straight out of PostgreSQL (`COPY (query) TO STDOUT`), so a million lines
neither truncate nor grow the process. Every text cell that a spreadsheet would take for a
formula is neutralised with a leading apostrophe — in SQL for the streamed CSV, in Python for
everything else; numbers stay numbers.
"""

import csv
import io
import json
import queue
import threading
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import Case, CharField, DateField, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils.text import slugify

from cases.models import CaseLine, CriminalOutcome, FoiReturn, Offence, Outcome, Role, Source, System, Unit

# A cell starting with one of these is read as a formula (or DDE) by Excel, LibreOffice and
# Google Sheets. NUL cannot occur in PostgreSQL text, but may in Python strings.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
COPY_CHUNK_BYTES = 64 * 1024
QUEUE_CHUNKS = 8  # at most this many chunks wait between PostgreSQL and the client


def formula_safe(value):
    """A text cell a spreadsheet cannot run; numbers, dates and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    text: bool = True  # text cells are neutralised; numbers and dates are not


def _label(field: str, choices) -> Case:
    return Case(
        *[When(**{field: code}, then=Value(label)) for code, label in choices], output_field=CharField()
    )


def _sources_of_line(field: str, separator: str) -> Subquery:
    through = CaseLine.sources.through
    return Subquery(
        through.objects.filter(caseline_id=OuterRef("pk"))
        .order_by()
        .values("caseline_id")
        # Titles and addresses share one order, so the n-th title goes with the n-th address.
        .annotate(
            joined=StringAgg(f"source__{field}", separator, order_by=("source__publisher", "source__url"))
        )
        .values("joined"),
        output_field=CharField(),
    )


# The documented columns of a case-line export, in order. The data dictionary is built from
# this list, so the file and its documentation cannot drift apart.
CASE_LINE_COLUMNS: list[tuple[Column, object]] = [
    (Column("line_id", "Misuse Tracker's id for the line.", text=False), F("id")),
    (Column("request", "The FOI request or study (its slug on /requests/)."), F("foi_return__request__slug")),
    (Column("request_title", "The request or study's title."), F("foi_return__request__title")),
    (
        Column(
            "unit",
            "What one counted case is (code): "
            + ", ".join(Unit.values)
            + ". Never add lines of different units.",
        ),
        F("foi_return__request__unit"),
    ),
    (
        Column("unit_label", "What one counted case is, in words."),
        _label("foi_return__request__unit", Unit.choices),
    ),
    (
        Column("counting_unit", "What one counted case is, in the study's sources' own words."),
        F("foi_return__request__counting_unit"),
    ),
    (
        Column("force", "The force's slug; empty where the sources do not name the force."),
        Coalesce("foi_return__force__slug", Value("")),
    ),
    (
        Column("force_name", "The force's name; 'Force not stated' where the sources do not name it."),
        Coalesce("foi_return__force__name", Value("Force not stated")),
    ),
    (
        Column("region", "The force's region (Home Office grouping)."),
        Coalesce("foi_return__force__region", Value("")),
    ),
    (
        Column("period", "The period as the source states it."),
        Coalesce(NullIf("period_label", Value("")), "foi_return__request__period_label"),
    ),
    (
        Column("period_start", "First day of the period (empty: not dated).", text=False),
        Coalesce("period_start", "foi_return__request__period_start", output_field=DateField()),
    ),
    (
        Column("period_end", "Last day of the period (empty: not dated).", text=False),
        Coalesce("period_end", "foi_return__request__period_end", output_field=DateField()),
    ),
    (
        Column("count", "How many people (or the study's unit) the line holds; at least 1.", text=False),
        F("count"),
    ),
    (Column("role", "Role code: " + ", ".join(Role.values) + "."), F("role")),
    (Column("role_wording", "The role in the sources' own words."), F("role_wording")),
    (Column("offence", "Offence code: " + ", ".join(Offence.values) + "."), F("offence")),
    (Column("offence_label", "What the offence code means."), _label("offence", Offence.choices)),
    (Column("offence_wording", "The offence in the force's or sources' own words."), F("offence_wording")),
    (Column("system", "System code: " + ", ".join(System.values) + "."), F("system")),
    (Column("system_wording", "The system in the sources' own words."), F("system_wording")),
    (Column("outcome", "Outcome code: " + ", ".join(Outcome.values) + "."), F("outcome")),
    (Column("outcome_label", "What the outcome code means."), _label("outcome", Outcome.choices)),
    (Column("outcome_wording", "The outcome in the sources' own words."), F("outcome_wording")),
    (
        Column("criminal_outcome", "Criminal outcome code: " + ", ".join(CriminalOutcome.values) + "."),
        F("criminal_outcome"),
    ),
    (
        Column("basis", "stated: read from the sources; remainder: computed from a published total."),
        F("basis"),
    ),
    (
        Column("return_status", "The force's answer: " + ", ".join(FoiReturn.Status.values) + "."),
        F("foi_return__status"),
    ),
    (
        Column(
            "force_lines_complete",
            "yes: this force's lines in this study add up to its whole published total; no: they are only "
            "part of it (or no total is published), so their sum is 'at least' that number.",
        ),
        None,  # from the figures engine, per return
    ),
    (
        Column(
            "force_lines_total",
            "The sum of all this force's lines in this study (not only the filtered ones).",
            text=False,
        ),
        None,
    ),
    (
        Column(
            "force_total_published",
            "The total the reply or the published figures give for this force and study; empty: none.",
        ),
        None,
    ),
    (
        Column("summary", "A summary of the case, where one is published; else empty."),
        Case(When(summary_publishable=True, then="summary"), default=Value(""), output_field=CharField()),
    ),
    (
        Column("disagreement", "Where the sources disagree about this line, in their words."),
        F("disagreement"),
    ),
    (
        Column("source_titles", "Titles of the sources the line cites, separated by ' | '."),
        _sources_of_line("title", " | "),
    ),
    (
        Column("source_urls", "Addresses of the sources, in the same order, separated by ' '."),
        _sources_of_line("url", " "),
    ),
]
COLUMNS = [column for column, _ in CASE_LINE_COLUMNS]
HEADER = [column.name for column in COLUMNS]


def _per_return(values: dict, output_field, default):
    """A column whose value is the engine's, per return: one CASE over the (few) returns."""
    whens = [When(foi_return_id=return_id, then=Value(value)) for return_id, value in values.items()]
    return (
        Case(*whens, default=Value(default), output_field=output_field)
        if whens
        else Value(default, output_field=output_field)
    )


def case_line_rows(lines: QuerySet) -> QuerySet:
    """The filtered lines with every export column, in a stable order (id).

    Whether a force's lines are all of its total comes from the figures engine (the one
    completeness rule), so summing a download cannot pass for a complete total.
    """
    from django.db.models import IntegerField

    from reports.engine import return_completeness

    completeness = return_completeness()
    dynamic = {
        "force_lines_complete": _per_return(
            {rid: "yes" if c[0] else "no" for rid, c in completeness.items()}, CharField(), "no"
        ),
        "force_lines_total": _per_return(
            {rid: c[1] for rid, c in completeness.items()}, IntegerField(), None
        ),
        "force_total_published": _per_return({rid: c[2] for rid, c in completeness.items()}, CharField(), ""),
    }
    return (
        lines.order_by()
        .annotate(
            **{
                f"x_{column.name}": dynamic[column.name] if expression is None else expression
                for column, expression in CASE_LINE_COLUMNS
            }
        )
        .values_list(*[f"x_{name}" for name in HEADER])
        .order_by("id")
    )


# --- Tables of figures: every cell a Figure from the engine --------------------------------


def _figure_cells(name: str, figure) -> dict:
    """A figure in a download: its number (empty when not known) and whether it is exact."""
    return {name: figure.value, f"{name}_is": figure.status}


def _table(records: list[dict]) -> tuple[list[str], list[list]]:
    header = list(records[0])
    return header, [[record[name] for name in header] for record in records]


def force_table(view) -> tuple[list[str], list[list]]:
    records = []
    for row in view.rows:
        record = {
            "force": row.force.slug if row.force else "",
            "force_name": row.name,
            "request": row.foi_request.slug,
            "request_title": row.foi_request.title,
            "period": row.foi_request.period_label,
            "unit": row.foi_request.unit,
            "unit_label": row.unit_label,
        }
        for name, figure in (
            ("cases", row.cases),
            ("officers", row.officers),
            ("staff", row.staff),
            ("dismissed", row.dismissed),
            ("resigned", row.resigned),
            ("other_outcomes", row.other_outcomes),
            ("outcome_not_stated", row.outcome_not_stated),
        ):
            record |= _figure_cells(name, figure)
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
    return _table(records)


FORCE_TABLE_HEADER = (
    ["force", "force_name", "request", "request_title", "period", "unit", "unit_label"]
    + [
        f"{name}{suffix}"
        for name in (
            "cases",
            "officers",
            "staff",
            "dismissed",
            "resigned",
            "other_outcomes",
            "outcome_not_stated",
        )
        for suffix in ("", "_is")
    ]
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


# --- Streaming out of PostgreSQL --------------------------------------------------------------


def _copy_sql(rows: QuerySet, cursor, *, csv_header: bool) -> str:
    sql, params = rows.query.sql_with_params()
    inner = cursor.mogrify(sql, params).decode()
    # The inner query's columns are read once each by the outer SELECT, so neutralising a cell
    # costs a comparison, not a second evaluation of its expression.
    outer = ", ".join(
        (
            f"CASE WHEN left(t.c{i}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r', E'\\n') "
            f"THEN '''' || t.c{i} ELSE t.c{i} END AS {column.name}"
            if column.text
            else f"t.c{i} AS {column.name}"
        )
        for i, column in enumerate(COLUMNS)
    )
    aliases = ", ".join(f"c{i}" for i in range(len(COLUMNS)))
    header = ", HEADER true" if csv_header else ""
    return f"COPY (SELECT {outer} FROM ({inner}) AS t({aliases})) TO STDOUT WITH (FORMAT csv{header})"


class _ChunkSink:
    """psycopg2 writes COPY output one row at a time; hand it on in chunks."""

    def __init__(self, chunks: queue.Queue):
        self.chunks = chunks
        self.buffer = bytearray()

    def write(self, data) -> None:
        self.buffer += data.encode() if isinstance(data, str) else data
        if len(self.buffer) >= COPY_CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.chunks.put(bytes(self.buffer))
            self.buffer = bytearray()


_DONE = object()


@dataclass
class CopyResult:
    rows: int | None = None


def copy_stream(rows: QuerySet, *, csv_header: bool, result: CopyResult, sql_for=None) -> Iterator[bytes]:
    """Stream `COPY (rows) TO STDOUT` as CSV chunks; memory stays flat whatever the size.

    COPY runs in a worker thread on a cursor of Django's own connection (psycopg2 connections
    may be shared between threads, one cursor each), so the download sees exactly what the page
    sees, open transaction included. The request thread only waits on a small bounded queue, so a
    slow client slows PostgreSQL down instead of filling memory; if the client goes away the COPY
    is cancelled.
    """
    connection.ensure_connection()
    raw = connection.connection
    chunks: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
    with raw.cursor() as cursor:
        sql = (sql_for or _copy_sql)(rows, cursor, csv_header=csv_header)

    def run():
        try:
            sink = _ChunkSink(chunks)
            with raw.cursor() as cursor:
                cursor.copy_expert(sql, sink)
                sink.flush()
                chunks.put((_DONE, cursor.rowcount))
        except Exception as error:  # handed to the consumer, which raises it
            chunks.put(error)

    worker = threading.Thread(target=run, name="export-copy", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, tuple) and item[0] is _DONE:
                result.rows = item[1]
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        if worker.is_alive():
            raw.cancel()
            while worker.is_alive():  # unblock a worker waiting on a full queue
                try:
                    chunks.get(timeout=0.1)
                except queue.Empty:
                    pass


def json_stream(rows: QuerySet, meta: dict, result: CopyResult) -> Iterator[bytes]:
    """{"meta": {...}, "rows": [{column: value, ...}, ...]}, streamed through COPY."""

    def sql_for(rows, cursor, *, csv_header):
        sql, params = rows.query.sql_with_params()
        inner = cursor.mogrify(sql, params).decode()
        aliases = ", ".join(HEADER)
        # Only the documented columns, by name: the inner query may carry more (Django adds the
        # columns it orders by). CSV with a quote and delimiter that JSON never contains gives one
        # JSON object a line with no escaping added (row_to_json escapes control characters).
        return (
            f"COPY (SELECT row_to_json(r) FROM (SELECT {', '.join(f't.{n}' for n in HEADER)} "
            f"FROM ({inner}) AS t({aliases})) AS r) TO STDOUT "
            "WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
        )

    yield b'{"meta": ' + json.dumps(meta, default=str).encode() + b', "rows": ['
    first = True
    for chunk in copy_stream(rows, csv_header=False, result=result, sql_for=sql_for):
        body = chunk[:-1].replace(b"\n", b",\n")
        yield (b"\n" if first else b",\n") + body
        first = False
    yield b"\n]}\n"


# --- Small tables, rendered in Python ---------------------------------------------------------


def csv_bytes(header: list[str], rows: Iterable[list], *, bom: bool = False) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        yield "\ufeff".encode()
    writer.writerow([formula_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([formula_safe(cell) for cell in row])
        if buffer.tell() > COPY_CHUNK_BYTES:
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


def sources_markdown(lines: QuerySet) -> str:
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


class _ZipSink:
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
    sink = _ZipSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
            yield sink.take()
        with archive.open("cases.csv", "w", force_zip64=True) as member:
            for chunk in csv_chunks:
                member.write(chunk)
                yield sink.take()
    yield sink.take()
