"""A release's files: a Frictionless (Tabular) Data Package made from the site's own downloads.

Every CSV is the download a page gave on the day the release was cut, made by the same code
(reports/exports.py) reading the release: `dashboard-forces-<unit>.csv` is
`/dashboard/forces.csv?unit=<unit>&release=<number>`, `case-lines-<unit>.csv` is
`/cases.csv?unit=<unit>&release=<number>`, and so on (each resource names its page in
`sameAs`). datapackage.json describes every column (its type, read by pandas from the file, and
what it means, with the unit counted); SHA256SUMS and each resource's `hash` let anyone check
the files they hold are the release's.
"""

import gzip
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd
from django.http import QueryDict
from django.urls import reverse

from cases.models import Source, Unit
from forces.models import WorkforceSnapshot
from reports import exports, selectors

TITLE = "Misuse Tracker: UK police discipline for misusing force IT"
PUBLISHER = "Misuse Tracker"

# What a column of the tables of figures means (the case lines' and the published figures' own
# columns are described in reports/exports.py). "{unit}" is the resource's counting unit.
FIGURE_CELLS = {
    "cases": "Total {unit}",
    "officers": "{unit} who were police officers",
    "staff": "{unit} who were police staff",
    "dismissed": "{unit} dismissed",
    "resigned": "{unit} who resigned or retired",
    "other_outcomes": "{unit} with another outcome",
    "outcome_not_stated": "{unit} whose outcome the source does not state",
}
DESCRIPTIONS = {
    "force": "The force's slug (its page is /forces/<slug>/); empty where the source names no force.",
    "force_name": "The force's name.",
    "name": "The force's name.",
    "short_name": "The force's short name.",
    "region": "The force's region.",
    "country": "The force's country.",
    "kind": "The kind of force.",
    "ons_code": "The Office for National Statistics code of the force area.",
    "studies_with_lines": "Studies holding case lines for the force.",
    "published_figures": "Published figures held for the force.",
    "units_counted": "What the force's studies count, in words.",
    "request": "The study or FOI request (its page is /requests/<slug>/).",
    "request_title": "The study's title.",
    "title": "The study's title.",
    "requester": "Who asked or published the study.",
    "period": "The period the figures cover, as the study states it.",
    "period_start": "The first day of the period.",
    "period_end": "The last day of the period.",
    "year_basis": "Calendar or financial years.",
    "unit": "What one counted thing is (code). Never add counts of different units.",
    "unit_label": "What one counted thing is, in words.",
    "counting_unit_as_worded": "What the study counts, in its own words.",
    "forces_asked": "Forces the study asked.",
    "forces_answered": "Forces that answered.",
    "national_total_as_published": "The study's national total as published ('at least' where so stated).",
    "national_total_unit": "What the national total counts.",
    "national_total_period": "The period of the national total, as published.",
    "national_total_covers": "Whom the national total covers, as the source says.",
    "row": "What the row is: a force's answer to one study (force), or the part of a study's total "
    "that no source attributes to a force (not_attributed).",
    "held_in_lines": "The total of the study's case lines held here.",
    "held_in_lines_is": "How to read held_in_lines: exact, at least, not stated, or not held as lines.",
    "source_urls": "The sources' addresses, separated by spaces.",
    "source_titles": "The sources' titles, separated by ' | '.",
    "complete": "yes: every line of the force's total is held, so cases is exact.",
    "per_1000_headcount": "Cases per 1,000 of the force's headcount (see rate_note); empty: no rate.",
    "per_1000_headcount_a_year": "The same rate a year of the study's period.",
    "headcount": "The force's headcount the rate is worked from.",
    "headcount_date": "The date of that headcount.",
    "period_years": "The years the study's period covers.",
    "rate_note": "What the rate is worked from, in words.",
    "forces": "Forces whose lines give this row.",
    "url": "The source's address.",
    "publisher": "Who published the source.",
    "published_on": "When it was published; empty: not stated.",
    "date": "The date the headcount is at.",
    "measure": "Headcount or full-time equivalent.",
    "officers": "Police officers.",
    "staff": "Police staff.",
    "pcsos": "Police community support officers.",
    "designated_officers": "Designated officers.",
    "staff_and_designated": "Police staff and designated officers.",
    "total": "The whole workforce.",
    "source": "Where the number is published.",
}
for _dimension in ("offence", "outcome", "role", "system"):
    DESCRIPTIONS[_dimension] = f"The {_dimension} (code); not_stated: the sources do not say."
    DESCRIPTIONS[f"{_dimension}_label"] = f"The {_dimension}, in words."
STATUS_HELP = "How to read {name}: exact, at least (a part-known total), or not stated (empty {name})."


def _describe(name: str, unit_label: str | None, case_line_columns: dict) -> str:
    if name in case_line_columns:
        return case_line_columns[name]
    if name.endswith("_is") and name[:-3] in FIGURE_CELLS:
        return STATUS_HELP.format(name=name[:-3])
    if name in FIGURE_CELLS and unit_label:
        text = FIGURE_CELLS[name].format(unit=unit_label.lower())
        return text[:1].upper() + text[1:] + "; empty: not stated (never zero)."
    if name == "cases" and not unit_label:
        return "Count of the row's unit; empty: not stated (never zero)."
    return DESCRIPTIONS.get(name, "")


def _type(series: pd.Series) -> str:
    """The Table Schema type of a column, as pandas reads it from the CSV ("any": all empty)."""
    if not series.notna().any():
        return "any"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    values = series.dropna().astype(str)
    if len(values) and values.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
        return "date"
    return "string"


# Column types are read from the first rows of a table: every column of a table holds one kind of
# value, and a million case lines need not all be parsed to say so.
TYPE_SAMPLE_ROWS = 200_000


def schema_of(path, *, unit_label: str | None, case_line_columns: dict) -> dict:
    frame = pd.read_csv(
        path,
        low_memory=False,
        dtype_backend="numpy_nullable",
        keep_default_na=False,
        na_values=[""],
        nrows=TYPE_SAMPLE_ROWS,
    )
    fields = []
    for name in frame.columns:
        field = {"name": name, "type": _type(frame[name])}
        if text := _describe(name, unit_label, case_line_columns):
            field["description"] = text
        if unit_label and (
            name in FIGURE_CELLS or name in ("per_1000_headcount", "per_1000_headcount_a_year")
        ):
            field["unit"] = unit_label.lower() + (" per 1,000 headcount" if name.startswith("per_") else "")
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


# --- The tables ------------------------------------------------------------------------------


def sources_table():
    header = ["url", "title", "publisher", "kind", "published_on"]
    body = [
        [s.url, s.title, s.publisher, s.get_kind_display(), s.published_on]
        for s in Source.objects.order_by("publisher", "title", "url")
    ]
    return header, body


def workforce_table():
    names = [
        "officers",
        "staff",
        "pcsos",
        "designated_officers",
        "staff_and_designated",
        "total",
    ]
    header = ["force", "date", "measure", *names, "source"]
    body = [
        [w.force.slug, w.date, w.measure, *[getattr(w, n) for n in names], w.source]
        for w in WorkforceSnapshot.objects.select_related("force").order_by("force__slug", "date", "measure")
    ]
    return header, body


def _csv(header, body):
    return exports.csv_bytes(header, body)


def _slug(unit: str) -> str:
    return unit.replace("_", "-")


def tables(*, number: str):
    """(name, path, title, unit label or None, page address, the CSV's chunks of bytes), for the
    release read now."""
    found = selectors.analysis(params=QueryDict())
    units = found.dataset.units(selectors.selection_of(found.filterset, unit=None))
    yield (
        "figures",
        "figures.csv",
        "Published figures: every number as its source published it, with the quote",
        None,
        reverse("figures-export", args=["csv"]),
        _csv(*exports.figures_table(selectors.published_figures(params=QueryDict())[0])),
    )
    yield (
        "forces",
        "forces.csv",
        "Forces",
        None,
        reverse("force-list-export", args=["csv"]),
        _csv(*exports.force_list_table(selectors.force_list())),
    )
    yield (
        "requests",
        "requests.csv",
        "Studies and FOI requests, with their national totals as published",
        None,
        reverse("request-list-export", args=["csv"]),
        _csv(*exports.studies_table(selectors.studies_overview())),
    )
    yield (
        "returns",
        "returns.csv",
        "FOI returns: each force's reply to each request",
        None,
        None,
        _csv(*exports.returns_table(selectors.public_returns(params=QueryDict()).order_by("id"))),
    )
    yield ("sources", "sources.csv", "Sources", None, None, _csv(*sources_table()))
    yield (
        "workforce",
        "workforce.csv",
        "Force workforce (for rates per 1,000)",
        None,
        None,
        _csv(*workforce_table()),
    )
    for unit in Unit.values:
        if unit not in units:
            continue
        label = Unit(unit).label
        params = QueryDict(mutable=True)
        params["unit"] = unit
        view = selectors.analysis(params=params).view
        yield (
            f"dashboard-forces-{_slug(unit)}",
            f"dashboard-forces-{_slug(unit)}.csv",
            f"{label} by force and study (the dashboard's force table)",
            label,
            reverse("dashboard-table-export", args=["forces", "csv"]) + "?" + urlencode({"unit": unit}),
            _csv(*exports.force_table(view, total=True)),
        )
        for dimension in ("offence", "outcome", "role", "system"):
            yield (
                f"dashboard-{dimension}s-{_slug(unit)}",
                f"dashboard-{dimension}s-{_slug(unit)}.csv",
                f"{label} by {dimension}",
                label,
                reverse("dashboard-table-export", args=[f"{dimension}s", "csv"])
                + "?"
                + urlencode({"unit": unit}),
                _csv(*exports.breakdown_table(view, view.breakdowns[dimension])),
            )
        lines, filterset = selectors.filtered_lines(params=params)
        content = exports.csv_stream(exports.CaseLineExport(filterset), result=exports.CopyResult())
        yield (
            f"case-lines-{_slug(unit)}",
            f"case-lines-{_slug(unit)}.csv",
            f"Case lines counting {label.lower()}: one row per group of cases alike, with the sources' words",
            label,
            reverse("case-lines-export", args=["csv"]) + "?" + urlencode({"unit": unit}),
            content,
        )


def citation_cff(*, release, url: str) -> str:
    # Each text as a JSON string, which is a valid YAML double-quoted string whatever it holds.
    def quoted(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    message = "If you use this dataset, please cite it as below, and cite each figure's own source."
    return (
        "cff-version: 1.2.0\n"
        f"message: {quoted(message)}\n"
        "type: dataset\n"
        f"title: {quoted(TITLE)}\n"
        f"version: {quoted(release.number)}\n"
        f"date-released: {release.cut_local:%Y-%m-%d}\n"
        f"url: {quoted(url)}\n"
        "authors:\n"
        f"  - name: {quoted(PUBLISHER)}\n"
        f"abstract: {quoted(release.note)}\n"
    )


def readme(*, release, url: str, resources: list[dict]) -> str:
    log = release.changelog
    lines = [
        f"# {TITLE}, release {release.number}",
        "",
        f"Cut {release.cut_local:%Y-%m-%d}. {release.note}",
        "",
        f"Permanent address: {url}",
        "",
        "## Changes since "
        + (f"release {log['previous']}" if log.get("previous") else "nothing (the first release)"),
        "",
    ]
    for name in ("figures", "lines", "returns", "requests", "sources", "forces", "workforce"):
        change = log.get(name) or {}
        lines.append(
            f"- {name}: {change.get('added', 0):,} added, {change.get('changed', 0):,} changed, "
            f"{change.get('withdrawn', 0):,} withdrawn"
        )
    lines += ["", "## Files", ""]
    lines += [f"- `{r['path']}`: {r['title']}" for r in resources]
    lines += [
        "",
        "## Reading it",
        "",
        "```python",
        "import pandas as pd",
        f'figures = pd.read_csv("{url}figures.csv")',
        "```",
        "",
        "An empty cell is not stated, never zero; a count whose `<name>_is` column reads `at least` is a "
        "part-known total. Never add counts of different units. `SHA256SUMS` holds every file's checksum.",
        "",
    ]
    return "\n".join(lines)


# zlib's fastest level: a million case lines still compress to about a seventh, several times faster
# than gzip's default level 9, for a few more bytes.
GZIP_LEVEL = 1


@dataclass
class Made:
    """One file of a release, made: its size, SHA-256 and gzip-compressed bytes."""

    name: str
    media_type: str
    size: int
    sha256: str
    gzipped: bytes


def _agree(resources: list[dict]) -> None:
    """One type per column name across the package, so a column reads alike in every file: typed
    differently in two files (empty in one, whole numbers in another), it takes the wider type."""
    seen: dict[str, set] = {}
    for resource in resources:
        for field in resource["schema"]["fields"]:
            seen.setdefault(field["name"], set()).add(field["type"])
    chosen = {}
    for name, types in seen.items():
        known = types - {"any"}
        if not known:
            chosen[name] = "string"  # never holds a value: text is the safe reading
        elif len(known) == 1:
            chosen[name] = known.pop()
        elif known <= {"integer", "number"}:
            chosen[name] = "number"
        else:
            chosen[name] = "string"
    for resource in resources:
        for field in resource["schema"]["fields"]:
            field["type"] = chosen[field["name"]]


def _make(name: str, media_type: str, chunks, *, keep_to=None) -> Made:
    """Compress and hash a file as its chunks arrive (a million case lines are never held whole);
    `keep_to`, an open binary file, also gets the plain bytes (to read the columns' types)."""
    digest, size, packed = hashlib.sha256(), 0, io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as archive:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            archive.write(chunk)
            if keep_to is not None:
                keep_to.write(chunk)
    return Made(name, media_type, size, digest.hexdigest(), packed.getvalue())


def files_make(*, release, site_url: str) -> list:
    """Make and keep the release's files (read while the release is being read)."""
    from reports.models import ReleaseFile

    site = site_url.rstrip("/")
    url = site + release.get_absolute_url()
    case_line_columns = (
        {column.name: column.description for column in exports.COLUMNS}
        | dict(exports.FIGURE_COLUMNS)
        | dict(exports.RETURN_COLUMNS)
    )
    made: list[Made] = []
    resources = []
    for name, path, title, unit_label, page, chunks in tables(number=release.number):
        with tempfile.NamedTemporaryFile(suffix=".csv") as plain:
            made.append(_make(path, "text/csv", chunks, keep_to=plain))
            plain.flush()
            schema = schema_of(plain.name, unit_label=unit_label, case_line_columns=case_line_columns)
        resource = {
            "name": name,
            "path": path,
            "profile": "tabular-data-resource",
            "title": title,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": made[-1].size,
            "hash": "sha256:" + made[-1].sha256,
            "schema": schema,
        }
        if unit_label:
            resource["unit"] = unit_label.lower()
        if page:
            resource["sameAs"] = (
                site + page + ("&" if "?" in page else "?") + urlencode({"release": release.number})
            )
        resources.append(resource)
    _agree(resources)
    package = {
        "profile": "tabular-data-package",
        "name": "misuse-tracker-" + release.number.replace(".", "-"),
        "id": url,
        "title": f"{TITLE}, release {release.number}",
        "description": release.note,
        "version": release.number,
        "created": release.cut_local.isoformat(),
        "homepage": url,
        "contributors": [{"title": PUBLISHER, "role": "publisher", "path": site + "/"}],
        "sources": [
            {"title": f"{s.publisher}: {s.title}", "path": s.url}
            for s in Source.objects.order_by("publisher", "title", "url")
        ],
        "x_changelog": release.changelog,
        "resources": resources,
    }
    for name, media_type, text in (
        ("datapackage.json", "application/json", json.dumps(package, indent=2, default=str)),
        ("CITATION.cff", "text/plain", citation_cff(release=release, url=url)),
        ("README.md", "text/markdown", readme(release=release, url=url, resources=resources)),
    ):
        made.append(_make(name, media_type, [text.encode()]))
    sums = "".join(f"{m.sha256}  {m.name}\n" for m in sorted(made, key=lambda m: m.name))
    made.append(_make("SHA256SUMS", "text/plain", [sums.encode()]))
    kept = []
    for file in made:
        kept.append(
            ReleaseFile.objects.create(
                release=release,
                name=file.name,
                media_type=file.media_type,
                content=file.gzipped,
                size=file.size,
                sha256=file.sha256,
            )
        )
        file.gzipped = b""  # kept: let it go
    return kept


def content_of(release_file) -> bytes:
    return gzip.decompress(bytes(release_file.content))


def chunks_of(release_file) -> Iterator[bytes]:
    """A kept file's bytes, decompressed a piece at a time (a large file is never held whole)."""
    with gzip.GzipFile(fileobj=io.BytesIO(bytes(release_file.content))) as plain:
        while chunk := plain.read(exports.CHUNK_BYTES):
            yield chunk


def zip_chunks(release) -> Iterator[bytes]:
    """Every file of `release` in one ZIP, written as it is read: the same bytes every time (each
    member dated when the release was cut, in name order)."""
    sink = exports.ZipSink()
    stamp = release.cut_local.timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in release.files.order_by("name").values_list("name", flat=True):
            kept = release.files.get(name=name)  # one file's bytes in memory at a time
            info = zipfile.ZipInfo(f"misuse-tracker-{release.number}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in chunks_of(kept):
                    member.write(chunk)
                    yield sink.take()
    yield sink.take()
