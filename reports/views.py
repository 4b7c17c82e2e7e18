"""Public pages: request → FilterSet → selector → HTML (with chart JSON). Views stay thin.

Every page first redirects an address holding empty parameters to its clean one
(reports/permalinks.py), then is served from the page cache or computed."""

import codecs
import itertools
import json
import logging
import tempfile
import threading
from contextlib import closing
from decimal import Decimal

from csp.constants import NONE, UNSAFE_INLINE
from csp.decorators import csp, csp_replace
from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt

from cases.models import FoiRequest
from forces.models import Force
from reports import chart_svg, charts, embeds, engine, exports, selectors
from reports.models import ExportLog
from reports.page_cache import by_dataset_version
from reports.permalinks import active_filters, clean_address
from reports.selectors import BadFilter

HEADLINE_REQUEST = "parliament-street-2019"
DASHBOARD_CHARTS = ("forces", "offences", "outcomes", "outcome-roles", "trend")


def _bad_filter(request, error: BadFilter):
    return render(request, "reports/bad_filter.html", {"messages": error.messages}, status=400)


@clean_address
@by_dataset_version
def home(request):
    foi_request = get_object_or_404(
        FoiRequest.objects.public().prefetch_related("sources"), slug=HEADLINE_REQUEST
    )
    context = selectors.request_profile(foi_request=foi_request)
    context["studies"] = selectors.studies_overview(dataset=context["dataset"])
    return render(request, "reports/home.html", context)


@clean_address
@by_dataset_version
def dashboard(request):
    try:
        found = selectors.analysis(params=request.GET, sort=request.GET.get("sort", "-cases"))
    except BadFilter as error:
        return _bad_filter(request, error)
    view = found.view
    breakdowns = view.breakdowns
    points = charts.study_points(view)
    return render(
        request,
        "reports/dashboard.html",
        {
            "filterset": found.filterset,
            "view": view,
            "headline": view.headline,
            "rows": view.rows,
            "sort": request.GET.get("sort", "-cases"),
            "breakdowns": [
                (name, DASHBOARD_TABLES[f"{name}s"], breakdowns[name])
                for name in ("offence", "outcome", "role", "system")
            ],
            "points": points,
            "not_held": selectors.figures_not_held(params=request.GET, unit=view.unit)
            if not (view.rows or view.unseen or found.selection.line_level)
            else None,
            "facets": engine.facets(found.dataset, found.selection),
            "facet_labels": _facet_labels(found.filterset),
            "open_facets": set(request.GET) | {"unit", "study", "region", "outcome"},
            "active_filters": active_filters(request.GET),
            "charts": [
                embeds.offered(chart, request.GET)
                for chart in (charts.build(key, view) for key in DASHBOARD_CHARTS)
                if chart is not None
            ],
        },
    )


def _facet_labels(filterset) -> list[tuple[str, str]]:
    return [(name, filterset.filters[name].label) for name in engine.FACETS]


@clean_address
@by_dataset_version
def force_list(request):
    return render(request, "reports/force_list.html", {"forces": selectors.force_list()})


@clean_address
@by_dataset_version
def force_detail(request, slug):
    force = get_object_or_404(Force, slug=slug)
    profile = selectors.force_profile(force=force)
    for item in profile["views"]:
        item["chart"] = embeds.offered(item["chart"], {"force": force.slug, "unit": item["view"].unit})
    return render(request, "reports/force_detail.html", profile)


@clean_address
@by_dataset_version
def request_list(request):
    return render(request, "reports/request_list.html", {"studies": selectors.studies_overview()})


@clean_address
@by_dataset_version
def request_detail(request, slug):
    foi_request = get_object_or_404(FoiRequest.objects.public().prefetch_related("sources"), slug=slug)
    profile = selectors.request_profile(foi_request=foi_request)
    profile["chart"] = embeds.offered(profile["chart"], {"study": foi_request.slug})
    return render(request, "reports/request_detail.html", profile)


@clean_address
@by_dataset_version
def methodology(request):
    return render(request, "reports/methodology.html", selectors.methodology())


@clean_address
@by_dataset_version
def figures(request):
    try:
        found, filterset = selectors.published_figures(params=request.GET)
    except BadFilter as error:
        return _bad_filter(request, error)
    paginator = Paginator(found, 200)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger):
        return _bad_filter(request, _bad_page(request, paginator))
    return render(
        request,
        "reports/figures.html",
        {"filterset": filterset, "page": page, "form": filterset.form},
    )


def _bad_page(request, paginator) -> BadFilter:
    return BadFilter(
        [
            f"Page ('page'): '{request.GET.get('page')}' is not a page. "
            f"Accepted values: 1 to {paginator.num_pages}."
        ]
    )


# --- The case lines and every download -------------------------------------------------------

EXPORT_FORMATS = {"csv", "json", "xlsx"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
DASHBOARD_TABLES = exports.DASHBOARD_TABLES
PERMALINK_PAGES = {
    "cases": "case-lines",
    "figures": "figures",
    "forces-list": "force-list",
    "requests": "request-list",
}


@clean_address
@by_dataset_version
def case_lines(request):
    try:
        found = selectors.analysis(params=request.GET)
    except BadFilter as error:
        return _bad_filter(request, error)
    paginator = Paginator(selectors.case_line_page(found.filterset.qs), 100)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger):
        return _bad_filter(request, _bad_page(request, paginator))
    return render(
        request,
        "reports/case_lines.html",
        {
            "filterset": found.filterset,
            "view": found.view,
            "page": page,
            "headline": found.view.headline,
            "facets": engine.facets(found.dataset, found.selection),
            "facet_labels": _facet_labels(found.filterset),
            "open_facets": set(request.GET) | {"unit", "study", "outcome"},
            "active_filters": active_filters(request.GET),
        },
    )


def _attachment(response, request, table: str, extension: str):
    from reports import releases

    params = request.GET
    if release := releases.active():  # a release's download is named by it
        params = params.copy()
        params["release"] = release.number.replace(".", "-")
    name = exports.filename(table, params, extension, today=timezone.localdate())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _log(request, table: str, fmt: str) -> ExportLog:
    return ExportLog.objects.create(
        table=table,
        format=fmt,
        query_string=request.GET.urlencode(),
        dataset_version=selectors.dataset_version(),
    )


def _logged(chunks, log: ExportLog, result: exports.CopyResult):
    """Pass the chunks on; when the last has gone, record how many rows the file held."""
    yield from chunks
    ExportLog.objects.filter(pk=log.pk).update(rows=result.rows, completed=True)


# --- Downloads that fail loudly and cannot crowd out the site ---------------------------------

logger = logging.getLogger("misuse_tracker.downloads")
_download_slots: threading.BoundedSemaphore | None = None
_download_slots_lock = threading.Lock()


def _download_slot() -> bool:
    """Take one of the process's EXPORT_MAX_CONCURRENT slots for a case-line download, if one is free."""
    global _download_slots
    with _download_slots_lock:
        if _download_slots is None:
            _download_slots = threading.BoundedSemaphore(settings.EXPORT_MAX_CONCURRENT)
    return _download_slots.acquire(blocking=False)


def _release_download_slot() -> None:
    _download_slots.release()


def _busy(request):
    response = render(
        request,
        "download_refused.html",
        {
            "heading": "Too many downloads at once",
            "message": "The server is busy sending other large downloads. Please try again in a minute.",
        },
        status=503,
    )
    response["Retry-After"] = "60"
    return response


class _Guarded:
    """Streams the chunks and frees the download slot once, however the response ends (finished,
    failed, or closed unread). An error mid-stream is logged and raised again, so the server
    aborts the connection: the client sees a failed transfer, never a complete-looking file."""

    def __init__(self, chunks, *, table: str, fmt: str):
        self.chunks, self.table, self.fmt = iter(chunks), table, fmt
        self.released = False

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        try:
            return next(self.chunks)
        except StopIteration:
            self.close()
            raise
        except Exception:
            logger.exception(
                "Download of %s.%s failed mid-stream; the transfer is aborted.", self.table, self.fmt
            )
            self.close()
            raise

    def close(self) -> None:
        # Also called when the response is dropped unread (a HEAD request, a client gone early).
        if not self.released:
            self.released = True
            _release_download_slot()
            getattr(self.chunks, "close", lambda: None)()

    __del__ = close


def _xlsx_too_big(request, lines) -> HttpResponse | None:
    """XLSX is built whole before its first byte goes out: past a cap, point to the CSV instead."""
    cap = settings.EXPORT_XLSX_MAX_ROWS
    count = lines.count()
    if count <= cap:
        return None
    query = request.GET.urlencode()
    return render(
        request,
        "download_refused.html",
        {
            "heading": "Too many lines for a spreadsheet download",
            "message": f"This view has {count:,} case lines; an XLSX download holds at most {cap:,}. "
            "Download the CSV, which has every line and opens in Excel, or narrow the filters.",
            "csv_url": reverse("case-lines-export", args=["csv"]) + (f"?{query}" if query else ""),
        },
        status=413,
    )


def case_lines_export(request, fmt):
    try:
        lines, filterset = selectors.filtered_lines(params=request.GET)
    except BadFilter as error:
        return _bad_filter(request, error)
    if fmt == "xlsx" and (refused := _xlsx_too_big(request, lines)):
        return refused
    if not _download_slot():
        return _busy(request)
    try:
        response = _case_lines_response(request, lines, filterset, fmt)
    except BaseException:
        _release_download_slot()
        raise
    if isinstance(response, StreamingHttpResponse):
        response.streaming_content = _Guarded(response.streaming_content, table="cases", fmt=fmt)
    else:
        _release_download_slot()
    return response


def _case_lines_response(request, lines, filterset, fmt):
    log = _log(request, "cases", fmt)
    export = exports.CaseLineExport(filterset)
    result = exports.CopyResult()
    if fmt == "csv":
        chunks = exports.csv_stream(export, result=result)
        if request.GET.get("excel"):
            chunks = itertools.chain([codecs.BOM_UTF8], chunks)
        response = StreamingHttpResponse(_logged(chunks, log, result), content_type=CONTENT_TYPES["csv"])
    elif fmt == "json":
        meta = _meta(request, log, "cases")
        chunks = exports.json_stream(export, meta, result)
        response = StreamingHttpResponse(_logged(chunks, log, result), content_type=CONTENT_TYPES["json"])
    elif fmt == "xlsx":
        handle = tempfile.TemporaryFile()
        with closing(export.rows()) as rows:  # closed even if the sheet stops early: its transaction ends
            result.rows = exports.xlsx_file(exports.HEADER, rows, notes=_notes(request, log), path=handle)
        ExportLog.objects.filter(pk=log.pk).update(rows=result.rows, completed=True)
        handle.seek(0)
        response = FileResponse(handle, content_type=CONTENT_TYPES["xlsx"])
    else:  # zip
        members = {
            "DATA_DICTIONARY.md": exports.data_dictionary(),
            "SOURCES.md": exports.sources_markdown(lines),
            "CITATION.txt": exports.citation_text(
                permalink=_permalink(request, "case-lines"),
                version=log.dataset_version,
                today=timezone.localdate(),
            ),
        }
        chunks = exports.zip_stream(csv_chunks=exports.csv_stream(export, result=result), members=members)
        response = StreamingHttpResponse(_logged(chunks, log, result), content_type=CONTENT_TYPES["zip"])
    return _attachment(response, request, "cases", fmt)


def _permalink(request, page: str) -> str:
    from reports import releases

    query = request.GET.copy()
    query.pop("excel", None)
    if release := releases.active():
        query["release"] = release.number
    encoded = query.urlencode()
    return request.build_absolute_uri(reverse(page)) + (f"?{encoded}" if encoded else "")


def _meta(request, log: ExportLog, table: str) -> dict:
    return {
        "title": "Misuse Tracker",
        "table": table,
        "dataset_version": log.dataset_version,
        "generated_at": timezone.now().isoformat(),
        "filters": {name: request.GET.getlist(name) for name in request.GET},
        "permalink": _permalink(request, PERMALINK_PAGES.get(table, "dashboard")),
        "columns": [{"name": c.name, "description": c.description} for c in exports.COLUMNS]
        if table == "cases"
        else None,
    }


def _notes(request, log: ExportLog, table: str = "cases") -> list[str]:
    return [
        "Misuse Tracker: UK police discipline for misusing force IT, from FOI figures.",
        f"Dataset version {log.dataset_version}, downloaded {timezone.localdate().isoformat()}.",
        f"This view: {_permalink(request, PERMALINK_PAGES.get(table, 'dashboard'))}",
        "Text cells that would start with = + - @ or a tab or line break start with an apostrophe instead.",
        f"At most {exports.XLSX_MAX_ROWS:,} rows (Excel's limit); the CSV has every row.",
    ]


def _table_rows(request, table: str) -> tuple[list[str], list[list]]:
    """A dashboard table's header and rows, from the same engine view as the page."""
    found = selectors.analysis(params=request.GET, sort=request.GET.get("sort", "-cases"))
    return exports.dashboard_table(found.view, table)


def _small_export(request, table: str, fmt: str, header: list[str], body: list[list]):
    log = _log(request, table, fmt)
    ExportLog.objects.filter(pk=log.pk).update(rows=len(body), completed=True)
    if fmt == "csv":
        response = HttpResponse(
            b"".join(exports.csv_bytes(header, body, bom=bool(request.GET.get("excel")))),
            content_type=CONTENT_TYPES["csv"],
        )
    elif fmt == "json":
        meta = _meta(request, log, table)
        payload = {"meta": meta, "rows": [dict(zip(header, row, strict=True)) for row in body]}
        response = HttpResponse(
            json.dumps(payload, default=_json_default, indent=1), content_type=CONTENT_TYPES["json"]
        )
    else:
        handle = tempfile.TemporaryFile()
        exports.xlsx_file(header, body, notes=_notes(request, log, table), path=handle)
        handle.seek(0)
        response = FileResponse(handle, content_type=CONTENT_TYPES["xlsx"])
    return _attachment(response, request, table, fmt)


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def dashboard_table_export(request, table, fmt):
    try:
        header, body = _table_rows(request, table)
    except BadFilter as error:
        return _bad_filter(request, error)
    return _small_export(request, table, fmt, header, body)


def force_list_export(request, fmt):
    try:
        selectors.no_filters(params=request.GET, what="forces")
    except BadFilter as error:
        return _bad_filter(request, error)
    header, body = exports.force_list_table(selectors.force_list())
    return _small_export(request, "forces-list", fmt, header, body)


def request_list_export(request, fmt):
    try:
        selectors.no_filters(params=request.GET, what="requests")
    except BadFilter as error:
        return _bad_filter(request, error)
    header, body = exports.studies_table(selectors.studies_overview())
    return _small_export(request, "requests", fmt, header, body)


def figures_export(request, fmt):
    try:
        found, _ = selectors.published_figures(params=request.GET)
    except BadFilter as error:
        return _bad_filter(request, error)
    header, body = exports.figures_table(found)
    return _small_export(request, "figures", fmt, header, body)


# --- Embeddable charts ------------------------------------------------------------------------
# One chart and its caption, for another site's <iframe>: the only pages any site may frame
# (frame-ancestors *, no X-Frame-Options); every other page keeps frame-ancestors 'none' and DENY.


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@clean_address
@by_dataset_version
def embed(request, chart):
    try:
        embedded = embeds.embedded_chart(key=chart, params=request.GET)
    except BadFilter as error:
        return render(request, "reports/embed_bad_filter.html", {"messages": error.messages}, status=400)
    return render(
        request,
        "reports/embed.html",
        {
            "embedded": embedded,
            "chart": embedded.chart,
            "full_url": request.build_absolute_uri(embedded.full_path),
        },
    )


# The image is a document of its own when opened: no script at all, and the inline styles
# matplotlib writes its text with.
SVG_POLICY = {
    "default-src": [NONE],
    "style-src": [UNSAFE_INLINE],
    "frame-ancestors": ["*"],
}


@xframe_options_exempt
@csp(SVG_POLICY)
@clean_address
@by_dataset_version
def embed_svg(request, chart):
    try:
        embedded = embeds.embedded_chart(key=chart, params=request.GET)
    except BadFilter as error:
        return HttpResponse("\n".join(error.messages), status=400, content_type="text/plain; charset=utf-8")
    image = chart_svg.chart_svg(
        spec=embedded.chart.spec if embedded.chart else None,
        title=embedded.svg_title,
        lines=embedded.caption_lines(request.build_absolute_uri(embedded.full_path)),
        name=embedded.title,
    )
    return HttpResponse(image, content_type="image/svg+xml")
