"""Public pages: request → FilterSet → selector → HTML (with chart JSON). Views stay thin."""

from django.shortcuts import get_object_or_404, render

from cases.models import FoiRequest, Offence, Outcome, Role, System
from forces.models import Force
from reports import charts, selectors
from reports.selectors import BadFilter

HEADLINE_REQUEST = "parliament-street-2019"


def _bad_filter(request, error: BadFilter):
    return render(request, "reports/bad_filter.html", {"messages": error.messages}, status=400)


def home(request):
    foi_request = get_object_or_404(FoiRequest.objects.prefetch_related("sources"), slug=HEADLINE_REQUEST)
    table = selectors.request_force_table(foi_request=foi_request)
    return render(
        request,
        "reports/home.html",
        {
            "foi_request": foi_request,
            "table": table,
            "national": table.national,
            "studies": selectors.studies_overview(),
        },
    )


def dashboard(request):
    try:
        lines, filterset = selectors.filtered_lines(params=request.GET)
        sort = request.GET.get("sort", "-cases")
        rows = selectors.dashboard_rows(lines, filterset, sort=sort)
    except BadFilter as error:
        return _bad_filter(request, error)
    offences = selectors.breakdown(lines, "offence", Offence.choices)
    outcomes = selectors.breakdown(lines, "outcome", Outcome.choices)
    roles = selectors.breakdown(lines, "role", Role.choices)
    systems = selectors.breakdown(lines, "system", System.choices)
    outcome_by_role = selectors.outcome_by_role(lines)
    trend = selectors.trend(lines)
    return render(
        request,
        "reports/dashboard.html",
        {
            "filterset": filterset,
            "headline": selectors.headline(lines),
            "rows": rows,
            "sort": sort,
            "offences": offences,
            "outcomes": outcomes,
            "roles": roles,
            "systems": systems,
            "outcome_by_role": outcome_by_role,
            "trend": trend,
            "facets": selectors.facets(params=request.GET, filterset=filterset),
            "facet_labels": [(name, filterset.filters[name].label) for name in selectors.FACET_FIELDS],
            "open_facets": set(request.GET) | {"study", "region", "outcome"},
            "charts": {
                "forces": charts.force_bar(rows),
                "offences": charts.breakdown_bar(offences, "Cases by offence", "Cases"),
                "outcomes": charts.outcome_mix(outcome_by_role),
                "trend": charts.trend_line(trend),
            },
        },
    )


def force_list(request):
    return render(request, "reports/force_list.html", {"forces": selectors.force_list()})


def force_detail(request, slug):
    force = get_object_or_404(Force, slug=slug)
    return render(request, "reports/force_detail.html", selectors.force_profile(force=force))


def request_list(request):
    return render(request, "reports/request_list.html", {"studies": selectors.studies_overview()})


def request_detail(request, slug):
    foi_request = get_object_or_404(FoiRequest.objects.prefetch_related("sources"), slug=slug)
    return render(request, "reports/request_detail.html", selectors.request_profile(foi_request=foi_request))


def methodology(request):
    return render(request, "reports/methodology.html", selectors.methodology())
