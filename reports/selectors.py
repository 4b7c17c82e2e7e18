"""Reads for the public pages: request → FilterSet → the figures engine (reports/engine.py).

Every number a page shows comes from the engine; this module only validates the filters,
hands the engine its inputs and gathers what the page shows beside the numbers (sources,
answers, published figures, workforce).
"""

import logging
import threading
from collections import OrderedDict, defaultdict
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import DatabaseError
from django.db.models import Count, F, Max, Min, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.http import QueryDict
from django.urls import reverse

from cases.models import CaseLine, CaseLineWording, FoiRequest, FoiReturn, ReportedFigure, Source, Unit
from cases.selectors import reported_value, statements
from forces.models import Force, WorkforceSnapshot
from reports import charts, engine
from reports.filters import PRESENTATION_PARAMS, CaseLineFilter, FigureFilter, ReturnFilter

logger = logging.getLogger(__name__)

NOT_STATED = "not stated"


class BadFilter(Exception):
    """The query string holds a value a filter does not accept, or a parameter that is no filter."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def _accepted(field) -> str:
    """The values a filter's field accepts, as they are written in a query string."""
    if hasattr(field, "queryset"):
        return ", ".join(str(v) for v in field.queryset.values_list(field.to_field_name or "pk", flat=True))
    choices = getattr(field, "choices", None)
    if choices is None:
        return ""
    return ", ".join(str(value) for value, _ in choices if value != "")


def _validated(filterset, params, *, extra_allowed=frozenset()):
    unknown = sorted(set(params) - set(filterset.filters) - PRESENTATION_PARAMS - set(extra_allowed))
    messages = [f"'{name}' is not a filter. Filters: {', '.join(filterset.filters)}." for name in unknown]
    for name in filterset.filters:
        if name in ("unit", "q", "year_from", "year_to") and len(params.getlist(name)) > 1:
            messages.append(f"{filterset.filters[name].label} ('{name}'): give one value, not several.")
    if not filterset.is_valid():
        for name, errors in filterset.form.errors.items():
            if name == "__all__":
                messages.extend(errors)
                continue
            field = filterset.form.fields[name]
            accepted = _accepted(field)
            detail = f" Accepted values: {accepted}." if accepted else ""
            messages.extend(f"{field.label} ('{name}'): {error}{detail}" for error in errors)
    if messages:
        raise BadFilter(messages)
    return filterset


def no_filters(*, params, what: str) -> None:
    """A list that takes no filters (forces, requests): BadFilter for any parameter but `excel`."""
    extra = sorted(set(params) - {"excel"})
    if extra:
        raise BadFilter([f"The list of {what} takes no filters ('{extra[0]}'). Accepted: excel=1 on CSV."])


def case_line_filter(*, params) -> CaseLineFilter:
    """The validated public filters for `params` (a QueryDict), or BadFilter."""
    return _validated(CaseLineFilter(params, queryset=CaseLine.objects.public()), params)


def filtered_lines(*, params) -> tuple[QuerySet, CaseLineFilter]:
    """Public case lines matching the filters in `params` (its unit included), or BadFilter."""
    filterset = case_line_filter(params=params)
    return filterset.qs, filterset


def selection_of(filterset: CaseLineFilter, *, unit: str | None | bool = True) -> engine.Selection:
    """The filters as the engine's column tests; `unit=None` leaves the unit open."""
    cleaned = filterset.form.cleaned_data
    values = {}
    for name in ("study", "force"):
        if cleaned.get(name):
            values[name] = {item.slug for item in cleaned[name]}
    for name in ("region", "country", *engine.CODED):
        if cleaned.get(name):
            values[name] = set(cleaned[name])
    return engine.Selection(
        unit=filterset.effective_unit if unit is True else unit,
        values=values,
        search=bool((cleaned.get("q") or "").strip()),
        dated=cleaned.get("year_from") is not None or cleaned.get("year_to") is not None,
    )


def dataset_of(filterset: CaseLineFilter, *, forces_only=None) -> engine.Dataset:
    """The engine's aggregate: the lines the search and period reach (the only SQL filters).

    Where the request fixes no counting unit, the aggregate chooses it (`choose_unit`), so the
    filterset's downloads and the page count the same unit."""
    cleaned = filterset.form.cleaned_data
    dataset = aggregate(
        q=(cleaned.get("q") or "").strip(),
        year_from=cleaned.get("year_from"),
        year_to=cleaned.get("year_to"),
        forces_only=forces_only,
        filterset=filterset,
    )
    filterset.choose_unit(dataset.units(selection_of(filterset, unit=None)))
    return dataset


# The aggregates last computed, per process, keyed by the dataset version: a page of another
# filter under the same search and period reuses one (and the sums it has already made). A write
# changes the version, so an aggregate is never used after the data it was made from changed.
DATASETS_KEPT = 4
_datasets: OrderedDict = OrderedDict()
_datasets_lock = threading.Lock()


# The dataset version the page being computed was read at (set by reports/page_cache.py), so a
# page reads it once, not once per aggregate.
page_version: ContextVar[str | None] = ContextVar("page_version", default=None)


def aggregate(
    *, q: str = "", year_from=None, year_to=None, forces_only=None, filterset=None
) -> engine.Dataset:
    """The engine's dataset for a search and period (None: all lines), reused while the data holds."""
    key = (
        page_version.get() or dataset_version(),
        q,
        year_from,
        year_to,
        None if forces_only is None else tuple(sorted(f.pk for f in forces_only)),
    )
    with _datasets_lock:
        if key in _datasets:
            _datasets.move_to_end(key)
            return _datasets[key]
    if q:
        # Only a text search reads the lines themselves (through their indexed search vector).
        filterset = filterset or CaseLineFilter(queryset=CaseLine.objects.none())
        lines = filterset.filter_search(CaseLine.objects.public(), "q", q)
        if year_from is not None:
            lines = filterset.filter_year_from(lines, "year_from", year_from)
        if year_to is not None:
            lines = filterset.filter_year_to(lines, "year_to", year_to)
        records = engine.line_records(lines)
    else:
        records = engine.rollup_records(year_from=year_from, year_to=year_to)
    dataset = engine.Dataset(records=records, forces_only=forces_only)
    with _datasets_lock:
        _datasets[key] = dataset
        while len(_datasets) > DATASETS_KEPT:
            _datasets.popitem(last=False)
    return dataset


def dataset_warm() -> bool:
    """Build the unfiltered dataset now, so the first visitor after a server start does not wait.

    gunicorn calls it as each worker starts (gunicorn.conf.py). A database that is not there yet
    only means the first request builds it, as it would have: never a worker that fails to start.
    """
    try:
        aggregate()
    except DatabaseError:
        logger.warning("Figures not prepared at start: the database could not be read.", exc_info=True)
        return False
    return True


def check_sort(sort: str) -> str:
    if sort.lstrip("-") not in engine.SORT_KEYS:
        raise BadFilter(
            [
                f"Sort ('sort'): '{sort}' is not a column. Accepted values: "
                + ", ".join(f"{k}, -{k}" for k in engine.SORT_KEYS)
                + "."
            ]
        )
    return sort


@dataclass
class Analysis:
    """A filtered view and everything computed with it."""

    filterset: CaseLineFilter
    dataset: engine.Dataset
    selection: engine.Selection
    view: engine.View


def analysis(*, params, sort: str = "-cases") -> Analysis:
    filterset = case_line_filter(params=params)
    sort = check_sort(sort)
    dataset = dataset_of(filterset)
    selection = selection_of(filterset)
    return Analysis(filterset, dataset, selection, engine.view(dataset, selection, sort=sort))


def _params(**values) -> QueryDict:
    params = QueryDict(mutable=True)
    for name, value in values.items():
        params[name] = value
    return params


# --- What the sources say about one figure ---------------------------------------------------


def _group_key(figure: ReportedFigure) -> tuple:
    """Figures that state the same thing: one study, force, metric, detail, period and scope."""
    return (
        figure.request_id,
        figure.force_id,
        figure.metric,
        figure.detail,
        _period_key(figure),
        figure.scope,
    )


def _period_key(figure: ReportedFigure) -> str:
    """The period a figure counts, for comparing sources. An undated period is the study's own:
    the Lancashire Telegraph's "three years to c. 2011 (undated)" and DataBreaches.net's "three
    years (undated)" are the same three years (fixtures/curation/datasets.csv)."""
    return "" if "(undated)" in figure.period_label else figure.period_label


def _role_key(wording: str) -> str:
    """Whom a figure counts, for comparing sources ("police officers" and "officer" alike)."""
    return " ".join(wording.lower().replace("police ", "").split()).rstrip("s")


def sources_differ(figures: list[ReportedFigure]) -> str:
    """Where sources give different numbers for the same measure, period and people, in words.

    Figures about different people are not compared: Durham's "three others were disciplined"
    (Hartlepool Mail) and "No police officers breached data protection rules" (the Northern Echo)
    do not disagree."""
    by_role = defaultdict(list)
    for figure in figures:
        by_role[_role_key(figure.role_wording)].append(figure)
    texts = []
    for found in by_role.values():
        value = reported_value(found)
        if value is not None and value.disagreement:
            texts.append(value.disagreement)
    return "; ".join(texts)


def figure_caveats(figures: list[ReportedFigure]) -> dict:
    """What a page shows beside its published figures: each curated disagreement once (with the
    figures it concerns, each figure given `disagreement_anchor`), the figures marked uncertain,
    where sources give different numbers for the same thing, and where one source gives in
    parts what another gives whole and they add up (Northumbria 2011: 39 = 20 + 19)."""
    disagreements = {}
    for figure in figures:
        if figure.disagreement:
            item = disagreements.setdefault(
                figure.disagreement,
                {
                    "anchor": f"disagreement-{len(disagreements) + 1}",
                    "text": figure.disagreement,
                    "figures": [],
                },
            )
            # One reading is listed once: the Hartlepool Mail's 208 "legal cautions" is held from
            # both reference files (outcome:legal_caution and outcome:caution).
            same = (figure.source_id, figure.force_id, figure.value, figure.quote[:60])
            if same not in {(f.source_id, f.force_id, f.value, f.quote[:60]) for f in item["figures"]}:
                item["figures"].append(figure)
            figure.disagreement_anchor = item["anchor"]
    groups = defaultdict(list)
    for figure in figures:
        groups[_group_key(figure)].append(figure)
    differing, reconciling = [], []
    for found in groups.values():
        if text := sources_differ(found):
            differing.append({"figure": found[0], "text": text})
            continue
        said = statements(found)
        if len(said) > 1 and len({s.value for s in said}) == 1 and any(s.parts for s in said):
            reconciling.append(
                {
                    "figure": found[0],
                    "text": " = ".join(
                        f"{s.parts or ReportedFigure(value=s.value, qualifier=s.qualifier).value_display}"
                        f" ({s.source.publisher})"
                        for s in said
                    ),
                }
            )
    return {
        "disagreements": list(disagreements.values()),
        "uncertain": [f for f in figures if f.uncertain],
        "differing": differing,
        "reconciling": reconciling,
    }


def _line_disagreements(lines) -> QuerySet:
    """Lines the sources disagree about (lazy: read only by a page that shows them)."""
    return (
        lines.exclude(disagreement="")
        .select_related("foi_return__force", "foi_return__request")
        .order_by("foi_return__request__slug", "foi_return__force__name", "id")
    )


# --- Studies --------------------------------------------------------------------------------


def studies_overview(*, dataset: engine.Dataset | None = None) -> list[dict]:
    """Every public study: its national total as published and, from the engine, the lines held.

    `dataset` may be an unfiltered engine dataset a page already holds."""
    requests = list(
        FoiRequest.objects.public()
        .prefetch_related(Prefetch("sources", queryset=Source.objects.order_by("publisher", "url")))
        .order_by(F("period_end").desc(nulls_last=True), "slug")
    )
    if dataset is None:
        dataset = aggregate()
    national = defaultdict(list)
    for figure in dataset.figures:
        if figure.force_id is None and engine.national_metric(figure) in ReportedFigure.TOTAL_METRICS:
            national[figure.request_id].append(figure)
    overview = []
    for foi_request in requests:
        # A study reporting several totals (Huntsman: the whole period and each year) is
        # headlined by the one covering its whole period: the largest.
        by_period = defaultdict(list)
        for figure in national.get(foi_request.id, []):
            by_period[(figure.metric, figure.unit, figure.period_label)].append(figure)
        best = max(by_period.values(), key=lambda group: reported_value(group).value or 0, default=None)
        published = reported_value(best) if best else None
        published_unit = best[0].unit if best else None
        published_period = best[0].period_label if best else ""
        # Whom the number covers, as the source says (VPNOverview's 2,386: "22 responding forces",
        # of the 31 that answered).
        published_scope = best[0].scope if best and best[0].scope.lower() != "all responding forces" else ""
        selection = engine.Selection(unit=foi_request.unit, values={"study": {foi_request.slug}})
        rows = dataset.rows(selection)
        held = dataset.total(rows, selection, cell="cases") if rows else None
        overview.append(
            {
                "request": foi_request,
                "unit_label": Unit(foi_request.unit).label,
                "published": published,
                "published_unit_label": Unit(published_unit).label if published_unit else "",
                # Said beside the number where it covers only part of the study's period (VPNOverview:
                # 2,386 breaches in 2020, of a study of 2016 to 2021).
                "published_period": published_period,
                "published_part_period": bool(published_period)
                and not covers_study_period(published_period, foi_request),
                "published_scope": published_scope,
                "held": held,
            }
        )
    return overview


def covers_study_period(label: str, foi_request: FoiRequest) -> bool:
    """Does a figure's period, as worded, name the study's whole period? ("FY2017/18-FY2018/19",
    "2011-06-01 to 2015-12-31" and "2009-01 to 2013-10" do; "2020" of 2016 to 2021 does not.)"""

    def plain(text: str) -> str:
        return " ".join(text.replace("–", "-").replace(" - ", "-").split()).lower()

    if plain(label) == plain(foi_request.period_label):
        return True
    start, end = foi_request.period_start, foi_request.period_end
    if start is None or end is None:
        return False
    forms = {
        f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
        f"{start:%Y-%m} to {end:%Y-%m}",
        f"{start:%Y} to {end:%Y}",
        f"{start:%Y}-{end:%Y}",
    }
    if start.year == end.year:
        forms.add(f"{start:%Y}")
    return plain(label) in forms


# --- Forces ---------------------------------------------------------------------------------


def force_list() -> list[dict]:
    """Every force, with what we hold for it: studies with lines, published figures, units.

    Counts in different units and from different studies are not added up here: a force's
    figures are on its own page, study by study.
    """
    forces = list(Force.objects.order_by("name"))
    lines = defaultdict(set)
    for force_id, slug, unit in (
        FoiReturn.objects.public()
        .filter(lines__isnull=False, force__isnull=False)
        .values_list("force_id", "request__slug", "request__unit")
        .distinct()
    ):
        lines[force_id].add((slug, unit))
    figures = dict(
        ReportedFigure.objects.filter(force__isnull=False).values_list("force_id").annotate(n=Count("id"))
    )
    return [
        {
            "force": force,
            "studies": len(lines[force.id]),
            "figures": figures.get(force.id, 0),
            "units": [Unit(u).label for u in Unit.values if any(unit == u for _, unit in lines[force.id])],
        }
        for force in forces
    ]


def _figures_by_request(figures) -> list[dict]:
    grouped = defaultdict(list)
    for figure in figures:
        grouped[figure.request].append(figure)
    return [
        {"request": request, "figures": found}
        for request, found in sorted(
            grouped.items(), key=lambda item: (item[0].period_end is None, item[0].period_end), reverse=True
        )
    ]


def force_profile(*, force: Force) -> dict:
    """A force's figures in every study, unit by unit; its answers, published figures, workforce."""
    filterset = case_line_filter(params=_params(force=force.slug))
    dataset = dataset_of(filterset, forces_only=[force])
    base = selection_of(filterset)
    views = []
    for unit in dataset.units(base):
        selection = engine.Selection(unit, base.values)
        views.append(engine.view(dataset, selection, sort="study"))
    returns = list(
        FoiReturn.objects.public()
        .filter(force=force)
        .select_related("request", "force")
        .order_by(F("request__period_end").desc(nulls_last=True), "request__slug")
    )
    figures = list(
        ReportedFigure.objects.filter(force=force)
        .select_related("request", "source", "force")
        .order_by(F("request__period_end").desc(nulls_last=True), "request__slug", "metric", "detail", "id")
    )
    workforce = list(force.workforce.order_by("-date", "measure"))
    sources = {s.url: s for r in dataset.returns.values() if r.force_id == force.id for s in r.sources.all()}
    sources.update({f.source.url: f.source for f in figures})
    return {
        "force": force,
        "views": [{"view": v, "chart": charts.study_chart(v)} for v in views],
        "returns": returns,
        "caveats": figure_caveats(figures),
        "line_disagreements": _line_disagreements(CaseLine.objects.public().filter(foi_return__force=force)),
        "all_breaches": any(f.unit == Unit.ALL_DATA_BREACHES for f in figures),
        "figure_groups": _figures_by_request(figures),
        "figure_count": len(figures),
        "workforce": workforce,
        "workforce_sources": sorted({w.source for w in workforce}),
        "sources": sorted(sources.values(), key=lambda s: (s.publisher, s.title)),
    }


# --- Requests -------------------------------------------------------------------------------


def request_profile(*, foi_request: FoiRequest) -> dict:
    """A study: the dashboard's rows for study=<slug>, its reconciliation and its published figures."""
    filterset = case_line_filter(params=_params(study=foi_request.slug))
    dataset = dataset_of(filterset)
    selection = selection_of(filterset)
    study_view = engine.view(dataset, selection, sort="-cases")
    returns = list(
        FoiReturn.objects.public()
        .filter(request=foi_request)
        .select_related("force", "request")
        .order_by("status", "force__name")
    )
    by_status = defaultdict(list)
    for foi_return in returns:
        if foi_return.force_id:
            by_status[foi_return.get_status_display()].append(foi_return)
    figures = list(
        ReportedFigure.objects.filter(request=foi_request)
        .select_related("source", "force", "request")
        .order_by("force__name", "metric", "detail", "period_label", "id")
    )
    national_groups = defaultdict(list)
    by_force = defaultdict(list)
    for figure in figures:
        if figure.force_id is None:
            key = (figure.metric, figure.detail, figure.unit, figure.period_label, figure.scope)
            national_groups[key].append(figure)
        else:
            by_force[figure.force].append(figure)
    national = {}
    for (metric, detail, unit, _period, _scope), found in national_groups.items():
        # The study's own headline numbers: its counts in its unit, and its counts of forces.
        if not detail and unit in (foi_request.unit, Unit.FORCES):
            national.setdefault(metric, reported_value(found))
    named = sum(len(v) for v in by_status.values())
    workforce_dates = sorted({r.rate.headcount_date for r in study_view.rows if r.rate.headcount_date})
    return {
        "foi_request": foi_request,
        "view": study_view,
        "reconciliations": engine.reconciliations(dataset, study_view, foi_request),
        "national": national,
        "national_rows": [
            {
                "figure": found[0],
                "value": reported_value(found),
                "figures": found,
                "differ": sources_differ(found),
            }
            for found in national_groups.values()
        ],
        "caveats": figure_caveats(figures),
        "line_disagreements": _line_disagreements(
            CaseLine.objects.public().filter(foi_return__request=foi_request)
        ),
        "all_breaches": foi_request.unit == Unit.ALL_DATA_BREACHES
        or any(f.unit == Unit.ALL_DATA_BREACHES for f in figures),
        "force_figures": sorted(by_force.items(), key=lambda item: item[0].name),
        "all_figures": sorted(
            figures,
            key=lambda f: (f.force is not None, f.force.name if f.force else "", f.metric, f.detail, f.id),
        ),
        "returns": returns,
        "by_status": dict(sorted(by_status.items())),
        "named_returns": named,
        "not_named": (foi_request.forces_answered - len(by_status.get("Answered", [])))
        if foi_request.forces_answered is not None
        else None,
        "workforce_dates": workforce_dates,
        "unit_label": Unit(foi_request.unit).label,
        "chart": charts.force_chart(study_view),
        "dataset": dataset,
    }


# --- Published figures ----------------------------------------------------------------------


def figure_filter(*, params) -> FigureFilter:
    return _validated(FigureFilter(params, queryset=ReportedFigure.objects.public()), params)


def published_figures(*, params) -> tuple[QuerySet, FigureFilter]:
    filterset = figure_filter(params=params)
    return (
        filterset.qs.select_related("request", "force", "source").order_by(
            F("request__period_end").desc(nulls_last=True),
            "request__slug",
            "force__name",
            "metric",
            "detail",
            "id",
        ),
        filterset,
    )


# The case-line filters that mean the same on /figures/ (its search reads quotes, not wordings).
FIGURE_PARAMS = ("study", "year_from", "year_to", "force", "region", "country")


@dataclass(frozen=True)
class NotHeld:
    """A view with no case line whose studies publish figures: where those figures are."""

    count: int
    url: str


def figures_not_held(*, params, unit: str) -> NotHeld | None:
    """For a view of lines that holds none (a study or unit held only as published figures): how
    many published figures the same filters reach, and the /figures/ address that shows them.
    None when there are none either."""
    wanted = QueryDict(mutable=True)
    for name in FIGURE_PARAMS:
        if name in params:
            wanted.setlist(name, params.getlist(name))
    wanted["unit"] = unit
    try:
        found, _ = published_figures(params=wanted)
        count = found.count()
    except BadFilter:
        return None
    if not count:
        return None
    return NotHeld(count, f"{reverse('figures')}?{wanted.urlencode()}")


def newest_figures(*, force: Force | None = None, limit: int) -> list[ReportedFigure]:
    """The published figures (all, or one force's) newest first by when they became public: the
    date of their first history row, written when the loader or a reviewer's approval put them in
    the live table (a figure waiting for review is not there). Each carries `became_public` and
    `last_changed` (its latest approved change). One query.

    A figure without a history row (written around the models, by a bulk insert) has no known
    date, so it is left out rather than given one."""
    history = ReportedFigure.history.model.objects.filter(id=OuterRef("pk")).order_by().values("id")
    figures = (
        ReportedFigure.objects.public()
        .annotate(
            became_public=Subquery(history.annotate(at=Min("history_date")).values("at")),
            last_changed=Subquery(history.annotate(at=Max("history_date")).values("at")),
        )
        .filter(became_public__isnull=False)
    )
    if force is not None:
        figures = figures.filter(force=force)
    return list(
        figures.select_related("request", "force", "source").order_by("-became_public", "-id")[:limit]
    )


# --- Methodology ----------------------------------------------------------------------------


def methodology() -> dict:
    """How wording maps to codes, and every place the sources disagree, from the data itself.

    The mapping tables list each wording once with the number of case lines that use it: lines,
    not a count of people, so studies counting different units are never added.
    """
    public = CaseLine.objects.public()
    dimensions = ("offence", "system", "outcome", "role")
    mappings = {dimension: [] for dimension in dimensions}
    # From the wording rollup the database keeps (one query, whatever the number of lines).
    pairs = (
        CaseLineWording.objects.filter(foi_return__in=FoiReturn.objects.public())
        .values("dimension", "code", "wording")
        .annotate(lines=Sum("lines"))
        .order_by("dimension", "code", "wording")
    )
    labels = {dimension: dict(CaseLine._meta.get_field(dimension).choices) for dimension in dimensions}
    for p in pairs:
        mappings[p["dimension"]].append(
            {"code": labels[p["dimension"]][p["code"]], "wording": p["wording"], "lines": p["lines"]}
        )
    disagreeing_lines = _line_disagreements(public)
    figures = list(ReportedFigure.objects.select_related("source", "force", "request").order_by("id"))
    groups = defaultdict(list)
    for figure in figures:
        groups[_group_key(figure)].append(figure)
    disagreeing_figures = []
    for found in groups.values():
        text = sources_differ(found)
        units = {f.unit for f in found}
        if text:
            disagreeing_figures.append({"figure": found[0], "text": text})
        elif len(units) > 1:
            readings = "; ".join(
                f"{f.source.publisher}: {Unit(f.unit).label.lower()} (“{f.quote}”)" for f in found
            )
            disagreeing_figures.append({"figure": found[0], "text": f"What is counted: {readings}"})
    caveats = figure_caveats(figures)
    for item in caveats["disagreements"]:
        # Where each reading is shown: the studies' pages and the forces' pages.
        item["requests"] = list(dict.fromkeys(f.request for f in item["figures"]))
        item["forces"] = list(dict.fromkeys(f.force for f in item["figures"] if f.force))
    return {
        "mappings": mappings,
        "disagreeing_lines": disagreeing_lines,
        "disagreeing_figures": disagreeing_figures,
        "curated_disagreements": caveats["disagreements"],
        "uncertain_figures": caveats["uncertain"],
        "studies": list(FoiRequest.objects.public().order_by(F("period_end").desc(nulls_last=True), "slug")),
        "units": Unit.choices,
    }


# --- Dataset version and the case-lines list --------------------------------------------------

VERSIONED_MODELS = (Force, WorkforceSnapshot, Source, FoiRequest, FoiReturn, CaseLine, ReportedFigure)


def dataset_version() -> str:
    """A version that changes whenever the data changes: every create, update or delete leaves a
    history row, so the newest history ids and date identify the data's state (one query).
    Read under `?release=`, the release's own ("release-2026.11.1"), with no query."""
    from django.db import connections, router

    from reports import releases

    if release := releases.active():
        # A release never changes: its pages are kept under its number.
        return f"release-{release.number}"
    # Read where the pages read (a replica, if one is configured), so a page and its version agree.
    connection = connections[router.db_for_read(CaseLine)]
    union = " UNION ALL ".join(
        f"SELECT max(history_id) AS id, max(history_date) AS at FROM {model.history.model._meta.db_table}"
        for model in VERSIONED_MODELS
    )
    # Writes of lines that leave no history row (a COPY, a bulk update) still change the version:
    # the rollup triggers stamp every one with a new number from a sequence (cases/0007).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(id), 0), max(at), (SELECT stamp FROM cases_linewrites), "
            "(SELECT max(id) FROM reports_release) "
            f"FROM ({union}) AS latest"
        )
        total, latest, stamp, release = cursor.fetchone()
    if not latest:
        return "empty"
    # A new release changes every live page's "Cite this view" (it offers the newest release).
    return f"{latest:%Y%m%d}.{total}" + (f".{stamp}" if stamp else "") + (f".r{release}" if release else "")


def case_line_page(lines: QuerySet) -> QuerySet:
    return (
        lines.select_related("foi_return__force", "foi_return__request")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.order_by("publisher")))
        .order_by("id")
    )


# --- The forces' answers ----------------------------------------------------------------------


def public_returns(*, params) -> QuerySet[FoiReturn]:
    """The approved returns the filters in `params` reach (ReturnFilter), or BadFilter."""
    filterset = _validated(ReturnFilter(params, queryset=FoiReturn.objects.public()), params)
    return filterset.qs.select_related("request", "force")
