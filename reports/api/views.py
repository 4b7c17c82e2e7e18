"""The read-only API: the pages' selectors and the downloads' rows, as JSON with the data's version.

Each endpoint validates its query string with the pages' own selectors (the same 400 messages),
reads the same engine, and builds its rows with the downloads' row builders (reports/exports.py):
nothing is counted here. Every response says which data it reflects (`meta`).
"""

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler

from cases.models import FoiRequest, Unit
from forces.models import Force
from reports import exports, releases, selectors
from reports.api import serializers as shapes
from reports.api.pagination import PAGINATION_PARAMS, IdCursor
from reports.api.schema import PAGINATION_PARAMETERS, SORT_PARAMETER, filter_parameters
from reports.filters import CaseLineFilter, FigureFilter, ReturnFilter
from reports.page_cache import by_dataset_version
from reports.selectors import BadFilter

BAD_FILTER = OpenApiResponse(
    shapes.ErrorsSerializer, description="A filter the pages would refuse, in their words."
)
NOT_FOUND = OpenApiResponse(shapes.ErrorsSerializer, description="No such public force or study.")


def errors_handler(exc, context):
    """Every error as {"errors": [...]}: a bad filter with the pages' own messages (400)."""
    if isinstance(exc, BadFilter):
        return Response({"errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is not None:
        detail = (
            response.data.get("detail", response.data) if isinstance(response.data, dict) else response.data
        )
        response.data = {"errors": [str(detail)]}
    return response


def _meta() -> dict:
    return releases.dataset_meta()


def _records(table: tuple[list[str], list[list]]) -> list[dict]:
    header, body = table
    return [dict(zip(header, row, strict=True)) for row in body]


def _filters(request):
    """The query string less the API's own page parameters: what the pages' selectors validate."""
    params = request.GET.copy()
    for name in PAGINATION_PARAMS:
        params.pop(name, None)
    return params


def _takes_no_filters(request, what: str) -> None:
    if request.GET:
        raise BadFilter([f"{what} take no filters ('{sorted(request.GET)[0]}')."])


def _page(request, queryset, rows_of) -> Response:
    """A cursor page of `queryset` in id order, its rows built by `rows_of(page)`."""
    paginator = IdCursor()
    page = paginator.paginate_queryset(queryset, request)
    return Response({"meta": _meta(), **paginator.links(), "results": rows_of(page)})


# --- Index -----------------------------------------------------------------------------------

ENDPOINTS = {
    "forces": "api-forces",
    "requests": "api-requests",
    "returns": "api-returns",
    "case_lines": "api-case-lines",
    "figures": "api-figures",
    "dashboard/headline": "api-headline",
    "openapi": "api-schema",
    "docs": "api-docs",
}


@extend_schema(responses=shapes.IndexSerializer, operation_id="index", summary="Where everything is")
@api_view(["GET", "HEAD"])
def index(request):
    release = releases.active()
    # In a release, every address stays in it.
    pinned = f"?release={release.number}" if release else ""
    endpoints = {name: request.build_absolute_uri(reverse(url)) + pinned for name, url in ENDPOINTS.items()}
    for table in exports.DASHBOARD_TABLES:
        endpoints[f"dashboard/{table}"] = (
            request.build_absolute_uri(reverse(f"api-dashboard-{table}")) + pinned
        )
    return Response({"meta": _meta(), "endpoints": endpoints})


# --- Forces ----------------------------------------------------------------------------------


@by_dataset_version
@extend_schema(
    responses={200: shapes.ForceListSerializer, 400: BAD_FILTER},
    operation_id="forces_list",
    summary="Every force",
    description="The rows of /forces.csv: what we hold for each force. Takes no filters.",
)
@api_view(["GET", "HEAD"])
def forces(request):
    selectors.no_filters(params=request.GET, what="forces")
    return Response({"meta": _meta(), "results": _records(exports.force_list_table(selectors.force_list()))})


def _source(source) -> dict:
    return {
        "title": source.title,
        "publisher": source.publisher,
        "url": source.url,
        "published_on": source.published_on,
    }


def _workforce(snapshot) -> dict:
    return {
        "date": snapshot.date,
        "measure": snapshot.measure,
        "measure_label": snapshot.get_measure_display(),
        **{
            name: getattr(snapshot, name)
            for name in ("officers", "staff", "pcsos", "designated_officers", "total")
        },
        "source": snapshot.source,
    }


def _unit_view(view) -> dict:
    return {
        "unit": view.unit,
        "unit_label": view.unit_label,
        "rows": _records(exports.force_table(view)),
        "total": exports.headline_record(view),
    }


@by_dataset_version
@extend_schema(
    responses={200: shapes.ForceDetailSerializer, 400: BAD_FILTER, 404: NOT_FOUND},
    operation_id="forces_detail",
    summary="One force, as its page shows it",
)
@api_view(["GET", "HEAD"])
def force_detail(request, slug):
    _takes_no_filters(request, f"A force's figures (filter them at /api/v1/dashboard/forces/?force={slug})")
    force = Force.objects.filter(slug=slug).first()
    if force is None:
        raise NotFound(f"No force '{slug}': /api/v1/forces/ lists every force.")
    profile = selectors.force_profile(force=force)
    figures = [figure for group in profile["figure_groups"] for figure in group["figures"]]
    result = {
        "force": {
            "force": force.slug,
            "name": force.name,
            "short_name": force.short_name,
            "region": force.region,
            "country": force.country,
            "kind": force.get_kind_display(),
            "ons_code": force.ons_code,
        },
        "units": [_unit_view(item["view"]) for item in profile["views"]],
        "returns": _records(exports.returns_table(profile["returns"])),
        "figures": _records(exports.figures_table(figures)),
        "workforce": [_workforce(snapshot) for snapshot in profile["workforce"]],
        "sources": [_source(source) for source in profile["sources"]],
    }
    return Response({"meta": _meta(), "result": result})


# --- Requests (studies) ----------------------------------------------------------------------


@by_dataset_version
@extend_schema(
    responses={200: shapes.StudyListSerializer, 400: BAD_FILTER},
    operation_id="requests_list",
    summary="Every public study",
    description="The rows of /requests.csv: each study's published national total and what we hold "
    "as lines. Takes no filters.",
)
@api_view(["GET", "HEAD"])
def requests(request):
    selectors.no_filters(params=request.GET, what="requests")
    return Response(
        {"meta": _meta(), "results": _records(exports.studies_table(selectors.studies_overview()))}
    )


def _reconciliation(item) -> dict:
    reported = item.reported
    return {
        "label": item.label,
        "reported": reported.value,
        "reported_qualifier": reported.qualifier,
        "reported_as_published": reported.display,
        "attributed": item.attributed,
        "named_forces": item.named_forces,
        "unattributed": item.unattributed,
        "reconciles": item.reconciles,
    }


def _study(foi_request, profile) -> dict:
    return {
        "request": foi_request.slug,
        "title": foi_request.title,
        "requester": foi_request.requester,
        "question": foi_request.question,
        "asked_on": foi_request.asked_on,
        "published_on": foi_request.published_on,
        "period": foi_request.period_label,
        "period_start": foi_request.period_start,
        "period_end": foi_request.period_end,
        "year_basis": foi_request.get_year_basis_display(),
        "unit": foi_request.unit,
        "unit_label": Unit(foi_request.unit).label,
        "counting_unit_as_worded": foi_request.counting_unit,
        "forces_asked": foi_request.forces_asked,
        "forces_answered": foi_request.forces_answered,
        "forces_answered_not_named": profile["not_named"],
        "notes": foi_request.notes,
        "sources": [_source(source) for source in foi_request.sources.all()],
    }


@by_dataset_version
@extend_schema(
    responses={200: shapes.RequestDetailSerializer, 400: BAD_FILTER, 404: NOT_FOUND},
    operation_id="requests_detail",
    summary="One study, as its page shows it",
)
@api_view(["GET", "HEAD"])
def request_detail(request, slug):
    _takes_no_filters(request, f"A study's figures (filter them at /api/v1/dashboard/forces/?study={slug})")
    foi_request = FoiRequest.objects.public().prefetch_related("sources").filter(slug=slug).first()
    if foi_request is None:
        raise NotFound(f"No public study '{slug}': /api/v1/requests/ lists every one.")
    profile = selectors.request_profile(foi_request=foi_request)
    view = profile["view"]
    result = {
        "request": _study(foi_request, profile),
        "rows": _records(exports.force_table(view)),
        "total": exports.headline_record(view),
        "reconciliations": [_reconciliation(item) for item in profile["reconciliations"]],
        "returns": _records(exports.returns_table(profile["returns"])),
        "figures": _records(exports.figures_table(profile["all_figures"])),
    }
    return Response({"meta": _meta(), "result": result})


# --- Returns, case lines, figures: cursor pages ------------------------------------------------


@by_dataset_version
@extend_schema(
    parameters=[*filter_parameters(ReturnFilter), *PAGINATION_PARAMETERS],
    responses={200: shapes.ReturnPageSerializer, 400: BAD_FILTER},
    operation_id="returns_list",
    summary="The forces' answers, with their status",
    description="Approved returns only; a draft is never shown. In id order.",
)
@api_view(["GET", "HEAD"])
def returns(request):
    found = selectors.public_returns(params=_filters(request))
    return _page(request, found, lambda page: _records(exports.returns_table(page)))


@by_dataset_version
@extend_schema(
    parameters=[*filter_parameters(CaseLineFilter), *PAGINATION_PARAMETERS],
    responses={200: shapes.CaseLinePageSerializer, 400: BAD_FILTER},
    operation_id="case_lines_list",
    summary="Case lines, with the /cases/ filters",
    description="The rows of /cases.csv for the same filters, a page at a time in line_id order. "
    "Like every view, one unit at a time: `unit`, else the chosen studies' unit, else people "
    "disciplined.",
)
@api_view(["GET", "HEAD"])
def case_lines(request):
    filterset = selectors.case_line_filter(params=_filters(request))
    export = exports.CaseLineExport(filterset)

    def rows_of(page):
        if not page:
            return []
        return export.json_rows(after=page[0].id - 1, upto=page[-1].id)

    # The page's ids and its rows are read in one snapshot.
    with export.reading():
        return _page(request, filterset.qs.only("id"), rows_of)


@by_dataset_version
@extend_schema(
    parameters=[*filter_parameters(FigureFilter), *PAGINATION_PARAMETERS],
    responses={200: shapes.FigurePageSerializer, 400: BAD_FILTER},
    operation_id="figures_list",
    summary="Figures as published, with the /figures/ filters",
    description="The rows of /figures.csv for the same filters, a page at a time in figure_id order.",
)
@api_view(["GET", "HEAD"])
def figures(request):
    found, _ = selectors.published_figures(params=_filters(request))
    return _page(request, found, lambda page: _records(exports.figures_table(page)))


# --- The dashboard's aggregates ----------------------------------------------------------------


def _analysis(request):
    return selectors.analysis(params=request.GET, sort=request.GET.get("sort", "-cases"))


@by_dataset_version
@extend_schema(
    parameters=[*filter_parameters(CaseLineFilter), SORT_PARAMETER],
    responses={200: shapes.HeadlinePageSerializer, 400: BAD_FILTER},
    operation_id="dashboard_headline",
    summary="The dashboard's headline figures",
    description="The figures atop /dashboard/ for the same filters, in one unit.",
)
@api_view(["GET", "HEAD"])
def headline(request):
    return Response({"meta": _meta(), "result": exports.headline_record(_analysis(request).view)})


def _table_schema(table: str):
    return extend_schema(
        parameters=[*filter_parameters(CaseLineFilter), SORT_PARAMETER],
        responses={200: shapes.TABLE_SERIALIZERS[table], 400: BAD_FILTER},
        operation_id=f"dashboard_{table}",
        summary=f"The dashboard's table {exports.DASHBOARD_TABLES[table].lower()}",
        description=f"The rows of /dashboard/{table}.json for the same filters.",
    )


def _table_view(table: str):
    @by_dataset_version
    @_table_schema(table)
    @api_view(["GET", "HEAD"])
    def dashboard_table(request):
        return Response(
            {"meta": _meta(), "results": _records(exports.dashboard_table(_analysis(request).view, table))}
        )

    dashboard_table.__name__ = f"table_{table}"
    return dashboard_table


TABLE_VIEWS = {table: _table_view(table) for table in exports.DASHBOARD_TABLES}
