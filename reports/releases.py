"""Citable releases: the approved data frozen under a number, readable forever.

A release is cut (`release_cut`) by copying every public row the pages read into its own
PostgreSQL schema (`release_2026_11_1`), in one transaction. A request naming
`?release=<number>` (any page, download, embed or API call) is read from that schema by the same
code as the live pages: ReleaseMiddleware puts the schema first on the connection's search_path
for the request, so the one figures engine, the page cache (keyed `release-<number>`) and the
downloads all read the release. What is not copied (accounts, sessions, the download log, the
history) is read and written where it always is.

The release's files, a Frictionless Data Package (reports/datapackage.py), are made once, when
the release is cut, from those same downloads, and kept byte for byte (ReleaseFile) with their
SHA-256: they are what a release *is*, and never change. docs/api.md states the policy.
"""

import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

_active: ContextVar = ContextVar("active_release", default=None)

NUMBER = re.compile(r"^(?P<year>\d{4})\.(?P<month>\d{1,2})\.(?P<n>\d{1,4})$")
SCHEMA_PREFIX = "release_"


def active():
    """The Release the current request reads (`?release=`), or None for the live data."""
    return _active.get()


def dataset_meta() -> dict:
    """What every response says of the data it shows: the release, or the live dataset version."""
    from reports.selectors import dataset_version, page_version

    release = active()
    return {
        "release": release.number if release else None,
        # The version the page cache read for this response, if it did (no second query).
        "dataset_version": page_version.get() or dataset_version(),
    }


# Releases never change: each is read once per process, by id.
_by_id: dict = {}


def newest(*, version: str):
    """The newest release, named by the live dataset version ("….r<id>"), or None: no query once
    read (a new release makes a new version)."""
    from reports.models import Release

    found = re.search(r"\.r(\d+)$", version)
    if found is None:
        return None
    pk = int(found.group(1))
    if pk not in _by_id:
        found = Release.objects.filter(pk=pk).first()
        if found is None:
            return None
        _by_id[pk] = found
    return _by_id[pk]


def same_data(release, version: str) -> bool:
    """Does the live `version` hold the data `release` froze? (Its own ".r<id>" left aside: cutting
    a release changes the live version, not the data.)"""
    return re.sub(r"\.r\d+$", "", release.dataset_version) == re.sub(r"\.r\d+$", "", version)


def schema_for(number: str) -> str:
    if not NUMBER.match(number):
        raise ValueError(f"'{number}' is not a release number (YYYY.MM.N).")
    return SCHEMA_PREFIX + number.replace(".", "_")


def next_number(*, when: datetime) -> str:
    """The next number of the month `when` falls in: 2026.11.1, then 2026.11.2, …"""
    from reports.models import Release

    prefix = f"{when:%Y}.{when.month}."
    taken = [
        int(number[len(prefix) :])
        for number in Release.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    ]
    return f"{prefix}{max(taken, default=0) + 1}"


# --- Reading a release -------------------------------------------------------------------------


def _aliases():
    return list(settings.DATABASES)


def _set_path(schema: str | None) -> None:
    for alias in _aliases():
        conn = connections[alias]
        if schema is None:
            _reset(conn)
            continue
        with conn.cursor() as cursor:
            # The schema name is ours (schema_for): letters, digits and underscores only.
            cursor.execute(f'SET search_path TO "{schema}", "$user", public')
        conn.release_schema = schema


def _reset(conn) -> None:
    """Back to the live data on `conn`. In a transaction that failed, its rollback undoes the SET;
    a connection that cannot say RESET outside one is closed, never reused."""
    if conn.connection is not None and getattr(conn, "release_schema", None) is not None:
        try:
            with conn.cursor() as cursor:
                cursor.execute("RESET search_path")
        except DatabaseError:
            if not conn.in_atomic_block:
                conn.close()
    conn.release_schema = None


@contextmanager
def reading(release):
    """Read `release` (None: the live data) until the block ends: every query, every connection."""
    token = _active.set(release)
    if release is not None:
        _set_path(release.schema)
    try:
        yield release
    finally:
        if release is not None:
            _set_path(None)
        _active.reset(token)


def start(release) -> None:
    """Read `release` for the rest of this request (ended by `stop`, or by the next request)."""
    _active.set(release)
    _set_path(release.schema)


def stop() -> None:
    """End `start`: the live data again, on every connection the release was read on."""
    reset_after_request()


def reset_after_request(**kwargs) -> None:
    """request_started/finished: a connection kept between requests never keeps a release's path."""
    _active.set(None)
    for alias in _aliases():
        _reset(connections[alias])


# --- Cutting a release -------------------------------------------------------------------------


def copied_tables():
    """(model, how, what) in copy order: every row ("all"), the rows whose ids a query gives
    ("ids": its SQL and params), or the rows of a table already copied ("owned": column, model)."""
    from cases.models import (
        CaseLine,
        CaseLineRollup,
        CaseLineWording,
        FoiRequest,
        FoiReturn,
        ReportedFigure,
        Source,
    )
    from forces.models import Force, WorkforceSnapshot

    def ids(queryset):
        return queryset.order_by().values("pk").query.sql_with_params()

    public_returns = FoiReturn.objects.public()
    return [
        (Force, "all", None),
        (WorkforceSnapshot, "all", None),
        (Source, "ids", ids(_cited_sources())),
        (FoiRequest, "ids", ids(FoiRequest.objects.public())),
        (FoiRequest.sources.through, "owned", ("foirequest_id", FoiRequest)),
        (FoiReturn, "ids", ids(public_returns)),
        (FoiReturn.sources.through, "owned", ("foireturn_id", FoiReturn)),
        (CaseLine, "ids", ids(CaseLine.objects.public())),
        (CaseLine.sources.through, "owned", ("caseline_id", CaseLine)),
        (CaseLineRollup, "ids", ids(CaseLineRollup.objects.filter(foi_return__in=public_returns))),
        (CaseLineWording, "ids", ids(CaseLineWording.objects.filter(foi_return__in=public_returns))),
        (ReportedFigure, "ids", ids(ReportedFigure.objects.public())),
    ]


def _cited_sources():
    """The sources public rows cite: a source only a draft cites stays out of a release."""
    from django.db.models import Q

    from cases.models import CaseLine, FoiRequest, FoiReturn, ReportedFigure, Source

    return Source.objects.filter(
        Q(pk__in=FoiRequest.objects.public().values("sources"))
        | Q(pk__in=FoiReturn.objects.public().values("sources"))
        | Q(pk__in=CaseLine.objects.public().values("sources"))
        | Q(pk__in=ReportedFigure.objects.values("source"))
    )


def _columns(cursor, schema: str, table: str, *, generated: bool = False) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
        + ("" if generated else "AND is_generated = 'NEVER' ")
        + "ORDER BY ordinal_position",
        [schema, table],
    )
    return [name for (name,) in cursor.fetchall()]


def _copy(cursor, *, live: str, schema: str) -> dict:
    """Copy the public rows into `schema` (made here); return the rows copied per table."""
    counts = {}
    cursor.execute(f'CREATE SCHEMA "{schema}"')
    # Indexes are built once the rows are in (a bulk build, not a million inserts into each).
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for model, how, what in copied_tables():
        table = model._meta.db_table
        # Generated columns (the lines' search vector) come as plain columns holding the live
        # values: a release is never written, so nothing is computed again.
        cursor.execute(f'CREATE TABLE "{schema}"."{table}" (LIKE "{live}"."{table}" INCLUDING DEFAULTS)')
        names = ", ".join(f'"{name}"' for name in _columns(cursor, live, table, generated=True))
        select = f'INSERT INTO "{schema}"."{table}" ({names}) SELECT {names} FROM "{live}"."{table}"'
        if how == "all":
            cursor.execute(select)
        elif how == "owned":
            column, owner = what
            cursor.execute(
                f'{select} WHERE "{column}" IN (SELECT id FROM "{schema}"."{owner._meta.db_table}")'
            )
        else:
            sql, params = what
            cursor.execute(f"{select} WHERE id IN ({sql})", params)
        counts[table] = cursor.rowcount
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s", [live, table]
        )
        for (definition,) in cursor.fetchall():
            cursor.execute(definition.replace(f" ON {live}.{table} ", f' ON "{schema}"."{table}" ', 1))
        cursor.execute(f'ANALYZE "{schema}"."{table}"')
    return counts


def _shared_row(cursor, schema: str, previous: str, table: str) -> str:
    """The columns `table` has in both schemas, as a ROW() list: what two releases compare."""
    names = sorted(set(_columns(cursor, schema, table)) & set(_columns(cursor, previous, table)))
    return ", ".join(f'"{name}"' for name in names)


def _changes(cursor, *, schema: str, previous: str | None, table: str) -> dict:
    """Rows added, changed and withdrawn in `table` since the `previous` schema (None: all added)."""
    if previous is None:
        cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
        return {"added": cursor.fetchone()[0], "changed": 0, "withdrawn": 0}
    row = _shared_row(cursor, schema, previous, table)
    cursor.execute(
        f"SELECT count(*) FILTER (WHERE o.id IS NULL), "
        f"count(*) FILTER (WHERE o.id IS NOT NULL AND n.id IS NOT NULL AND n.r IS DISTINCT FROM o.r), "
        f"count(*) FILTER (WHERE n.id IS NULL) "
        f'FROM (SELECT id, ROW({row}) AS r FROM "{schema}"."{table}") AS n '
        f'FULL JOIN (SELECT id, ROW({row}) AS r FROM "{previous}"."{table}") AS o ON o.id = n.id'
    )
    added, changed, withdrawn = cursor.fetchone()
    return {"added": added, "changed": changed, "withdrawn": withdrawn}


# The tables a changelog names, as a reader calls them.
CHANGELOG_TABLES = {
    "figures": "cases_reportedfigure",
    "lines": "cases_caseline",
    "returns": "cases_foireturn",
    "requests": "cases_foirequest",
    "sources": "cases_source",
    "forces": "forces_force",
    "workforce": "forces_workforcesnapshot",
}
CHANGELOG_ITEMS = 200  # figures and returns named one by one, at most


def _changed_items(cursor, *, schema: str, previous: str | None, table: str, label_sql: str) -> list[dict]:
    """The rows of a small table added, changed or withdrawn, each named (at most CHANGELOG_ITEMS)."""
    if previous is None:
        return []
    row = _shared_row(cursor, schema, previous, table)
    cursor.execute(
        f"SELECT CASE WHEN o.id IS NULL THEN 'added' WHEN n.id IS NULL THEN 'withdrawn' ELSE 'changed' END, "
        f"coalesce(n.id, o.id), coalesce(n.label, o.label), o.label "
        f"FROM (SELECT t.id, ROW({row}) AS r, {label_sql.format(schema=schema)} AS label "
        f'FROM "{schema}"."{table}" AS t) AS n '
        f"FULL JOIN (SELECT t.id, ROW({row}) AS r, {label_sql.format(schema=previous)} AS label "
        f'FROM "{previous}"."{table}" AS t) AS o '
        "ON o.id = n.id WHERE n.r IS DISTINCT FROM o.r ORDER BY 2 LIMIT %s",
        [CHANGELOG_ITEMS],
    )
    return [
        {
            "change": change,
            "id": pk,
            "label": label,
            **({"was": was} if change == "changed" and was != label else {}),
        }
        for change, pk, label, was in cursor.fetchall()
    ]


# A row named as a reader would look it up, from its own schema's forces and requests.
FIGURE_LABEL = (
    "concat_ws(' ', "
    "coalesce((SELECT name FROM \"{schema}\".forces_force f WHERE f.id = t.force_id), 'National'), "
    "'·', (SELECT slug FROM \"{schema}\".cases_foirequest q WHERE q.id = t.request_id), '·', t.metric, "
    "nullif(t.detail, ''), '=', coalesce(t.value::text, 'no number'), '(' || t.qualifier || ')')"
)
RETURN_LABEL = (
    "concat_ws(' · ', (SELECT slug FROM \"{schema}\".cases_foirequest q WHERE q.id = t.request_id), "
    "coalesce((SELECT name FROM \"{schema}\".forces_force f WHERE f.id = t.force_id), 'force not stated'), "
    "t.status)"
)


def changelog(cursor, *, schema: str, previous) -> dict:
    prior = previous.schema if previous else None
    log = {"previous": previous.number if previous else None}
    for name, table in CHANGELOG_TABLES.items():
        log[name] = _changes(cursor, schema=schema, previous=prior, table=table)
    items = {}
    for name, table, label in (
        ("figures", "cases_reportedfigure", FIGURE_LABEL),
        ("returns", "cases_foireturn", RETURN_LABEL),
    ):
        items[name] = _changed_items(cursor, schema=schema, previous=prior, table=table, label_sql=label)
    log["items"] = items
    return log


def live_schema(cursor) -> str:
    cursor.execute("SELECT current_schema()")
    return cursor.fetchone()[0]


class ReleaseError(Exception):
    pass


def release_cut(*, note: str, cut_by: str = "", number: str | None = None, when=None, site_url: str = ""):
    """Freeze the approved data into a new numbered release, with its data package; return it.

    All or nothing: the schema, the rows, the files and the Release are one transaction, taken
    under a lock so two cuts at once are made one after the other."""
    from reports import datapackage
    from reports.models import Release
    from reports.selectors import dataset_version

    note = (note or "").strip()
    if not note:
        raise ReleaseError("A release needs a note: what it is, in a sentence or two.")
    stop()  # cut from the live data, whatever this thread read before
    when = when or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('misuse_tracker.release_cut'))")
            number = number or next_number(when=timezone.localtime(when))
            if not NUMBER.match(number):
                raise ReleaseError(f"'{number}' is not a release number: write it YYYY.MM.N, e.g. 2026.11.1.")
            if Release.objects.filter(number=number).exists():
                raise ReleaseError(f"Release {number} exists already: a release is never replaced.")
            previous = Release.objects.order_by("-cut_at", "-id").first()
            schema = schema_for(number)
            # A schema no release claims is left by a restore or a test flush of the tables
            # without the schemas: never a release (a cut is one transaction). It goes.
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            version = dataset_version()
            counts = _copy(cursor, live=live_schema(cursor), schema=schema)
            log = changelog(cursor, schema=schema, previous=previous)
        release = Release.objects.create(
            number=number,
            cut_at=when,
            note=note,
            cut_by=cut_by,
            dataset_version=version,
            schema=schema,
            previous=previous,
            changelog=log,
            counts=counts,
        )
        with reading(release):
            datapackage.files_make(release=release, site_url=site_url or settings.SITE_URL)
    return release


# --- The request side ------------------------------------------------------------------------

PARAM = "release"


def _refused(request, messages: list[str]):
    from django.http import JsonResponse
    from django.shortcuts import render

    if request.path.startswith("/api/"):
        return JsonResponse({"errors": messages}, status=400)
    return render(request, "reports/bad_filter.html", {"messages": messages}, status=400)


class ReleaseMiddleware:
    """`?release=<number>` on any public GET: read that release for the whole request.

    The parameter is taken out of request.GET (views and filters never see it, so every page,
    download and API call takes it alike) and kept in the query string, so links and permalinks
    built from the address keep it. The admin always reads and writes the live data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if PARAM not in request.GET or request.path.startswith("/admin/"):
            return self.get_response(request)
        from reports.models import Release

        if request.method not in ("GET", "HEAD"):
            return _refused(request, ["Release ('release'): a release is read-only; only GET reads one."])
        numbers = request.GET.getlist(PARAM)
        if len(numbers) > 1:
            return _refused(request, ["Release ('release'): give one value, not several."])
        given = numbers[0].strip()
        release = Release.objects.filter(number=given).first() if NUMBER.match(given) else None
        if release is None:
            known = list(Release.objects.order_by("-cut_at", "-id").values_list("number", flat=True))
            accepted = f" Accepted values: {', '.join(known)}." if known else " No release has been cut yet."
            shown = given[:40].replace("\x00", "")
            return _refused(
                request,
                [f"Release ('release'): '{shown}' is not a release.{accepted}"],
            )
        params = request.GET.copy()
        del params[PARAM]
        params._mutable = False
        request.GET = params
        request.release = release
        start(release)
        try:
            response = self.get_response(request)
        except BaseException:
            stop()
            raise
        response["X-Release"] = release.number
        if not response.streaming and response.get("Content-Type", "").startswith("text/html"):
            response.content = pinned_html(response.content.decode(), release.number).encode()
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        if not response.streaming:
            stop()
        # A streamed body is read after this returns: the release is read until the response
        # closes, when request_finished ends it (reset_after_request).
        return response


# Links within the site keep to the release being read: a force's page from a release's
# dashboard is that force's page in the release. Files, the admin and the releases' own pages
# are not pinned; an address that names a release already is left as it is.
_LINK = re.compile(r'href="(/(?!static/|admin/|releases/|media/)[^"#]*)(#[^"]*)?"')
_GET_FORM = re.compile(r'(<form\b[^>]*\bmethod="get"[^>]*>)', re.IGNORECASE)


def pinned_html(html: str, number: str) -> str:
    def link(match):
        address, fragment = match.group(1), match.group(2) or ""
        if "release=" in address:
            return match.group(0)
        joiner = "&amp;" if "?" in address else "?"
        return f'href="{address}{joiner}release={number}{fragment}"'

    html = _LINK.sub(link, html)
    return _GET_FORM.sub(lambda m: f'{m.group(1)}<input type="hidden" name="release" value="{number}">', html)


def context(request) -> dict:
    """Templates: the release being read (None: the live data) and the live page's address."""
    release = active()
    if release is None:
        return {"reading_release": None}
    from reports.permalinks import canonical_query

    query = "&".join(p for p in canonical_query(request).split("&") if p and not p.startswith("release="))
    # Absolute, so the release's link pinning (pinned_html) leaves it to the live data.
    live_url = request.build_absolute_uri(request.path) + (f"?{query}" if query else "")
    return {"reading_release": release, "live_url": live_url}


# --- Keeping releases readable as the schema changes ------------------------------------------


def release_schemas_sync(**kwargs) -> list[str]:
    """After every migrate: each release's tables get the live tables' columns, so the code of the
    day reads old releases. A column added since is added empty (NULL: the release did not hold
    it); a column dropped since is dropped. The rows are never rewritten, and the release's
    files, which are the release, never change. Returns what it did, one line each."""

    from reports.models import Release

    done = []
    try:
        releases = list(Release.objects.all())
    except DatabaseError:  # reports' tables not there yet (migrating from nothing)
        return done
    with connection.cursor() as cursor:
        live = live_schema(cursor)
        for release in releases:
            for model, _how, _what in copied_tables():
                table = model._meta.db_table
                cursor.execute(
                    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), n.nspname "
                    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relname = %s AND n.nspname IN (%s, %s) AND a.attnum > 0 AND NOT a.attisdropped",
                    [table, live, release.schema],
                )
                columns = {live: {}, release.schema: {}}
                for name, kind, schema in cursor.fetchall():
                    columns[schema][name] = kind
                if not columns[release.schema]:
                    cursor.execute(
                        f'CREATE TABLE "{release.schema}"."{table}" (LIKE "{live}"."{table}" INCLUDING ALL)'
                    )
                    done.append(f"{release.number}: {table} made (empty: the release did not hold it)")
                    continue
                for name, kind in columns[live].items():
                    if name not in columns[release.schema]:
                        cursor.execute(f'ALTER TABLE "{release.schema}"."{table}" ADD COLUMN "{name}" {kind}')
                        done.append(f"{release.number}: {table}.{name} added (empty)")
                for name in columns[release.schema]:
                    if name not in columns[live]:
                        cursor.execute(f'ALTER TABLE "{release.schema}"."{table}" DROP COLUMN "{name}"')
                        done.append(f"{release.number}: {table}.{name} dropped")
    return done
