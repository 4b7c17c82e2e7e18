"""Reads for the public pages: per-force tables, reconciliation with the published figures.

Aggregation happens in PostgreSQL; Python only arranges the few aggregated rows that come back.
Every selector makes a fixed number of queries, whatever the number of lines.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from cases.models import CaseLine, FoiRequest, FoiReturn, Outcome, ReportedFigure, Source
from cases.selectors import ReportedValue, reported_value
from forces.models import Force, WorkforceSnapshot
from reports import charts
from reports.filters import CODED_FILTERS, PRESENTATION_PARAMS, CaseLineFilter, not_stated_in

NOT_STATED = "not stated"


@dataclass
class ForceRow:
    force: Force | None  # None: the cases the study does not attribute to a named force
    cases: int
    total_known: bool
    dismissed: int
    resigned: int
    other_stated: int
    outcome_not_stated: int
    sources: list[Source]
    workforce: WorkforceSnapshot | None = None
    reported_total: ReportedValue | None = None
    foi_request: FoiRequest | None = None

    @property
    def name(self) -> str:
        return self.force.name if self.force else "Force not stated"

    @property
    def rate(self) -> Decimal | None:
        """Cases per 1,000 workforce; None ("—") where the total or the workforce is unknown."""
        if not self.total_known or self.workforce is None or not self.workforce.total:
            return None
        rate = Decimal(self.cases) * 1000 / self.workforce.total
        return rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def outcome_cell(self, count: int) -> int | None:
        """A count of a stated outcome; None ("—") when it is 0 only for want of information."""
        if count == 0 and (self.outcome_not_stated or not self.total_known):
            return None
        return count

    @property
    def dismissed_cell(self):
        return self.outcome_cell(self.dismissed)

    @property
    def resigned_cell(self):
        return self.outcome_cell(self.resigned)

    @property
    def other_stated_cell(self):
        return self.outcome_cell(self.other_stated)


@dataclass
class Reconciliation:
    metric: str
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
            and self.reported.qualifier == ReportedFigure.Qualifier.EXACT
            and self.reported.value == self.held
        )


@dataclass
class ForceTable:
    foi_request: FoiRequest
    rows: list[ForceRow]
    unattributed: ForceRow | None
    reconciliations: list[Reconciliation]
    workforce_date: object = None
    national: dict[str, ReportedValue] = field(default_factory=dict)

    @property
    def totals(self) -> ForceRow:
        every = self.rows + ([self.unattributed] if self.unattributed else [])
        return ForceRow(
            force=None,
            cases=sum(r.cases for r in every),
            total_known=all(r.total_known for r in every),
            dismissed=sum(r.dismissed for r in every),
            resigned=sum(r.resigned for r in every),
            other_stated=sum(r.other_stated for r in every),
            outcome_not_stated=sum(r.outcome_not_stated for r in every),
            sources=[],
        )


def _outcome_sums() -> dict:
    stated_other = ~Q(lines__outcome__in=[Outcome.DISMISSED, Outcome.RESIGNED, Outcome.NOT_STATED])
    return {
        "cases": Coalesce(Sum("lines__count"), 0),
        "dismissed": Coalesce(Sum("lines__count", filter=Q(lines__outcome=Outcome.DISMISSED)), 0),
        "resigned": Coalesce(Sum("lines__count", filter=Q(lines__outcome=Outcome.RESIGNED)), 0),
        "other_stated": Coalesce(Sum("lines__count", filter=stated_other), 0),
        "outcome_not_stated": Coalesce(Sum("lines__count", filter=Q(lines__outcome=Outcome.NOT_STATED)), 0),
    }


# A workforce snapshot further than this from a study's period is no basis for a rate.
WORKFORCE_MAX_DISTANCE_DAYS = 2 * 366


def _nearest(snapshots: list[WorkforceSnapshot], when) -> WorkforceSnapshot | None:
    if when is None or not snapshots:
        return None
    best = min(snapshots, key=lambda s: (abs((s.date - when).days), s.date))
    return best if abs((best.date - when).days) <= WORKFORCE_MAX_DISTANCE_DAYS else None


def _headcounts(force_ids) -> dict[int, list[WorkforceSnapshot]]:
    snapshots = defaultdict(list)
    for snapshot in WorkforceSnapshot.objects.filter(
        force_id__in=force_ids, measure=WorkforceSnapshot.Measure.HEADCOUNT
    ):
        snapshots[snapshot.force_id].append(snapshot)
    return snapshots


def _nearest_workforce(foi_request: FoiRequest, force_ids: list[int]) -> dict[int, WorkforceSnapshot]:
    """Each force's headcount snapshot nearest the end of the request's period (one query)."""
    if foi_request.period_end is None or not force_ids:
        return {}
    nearest = {
        force_id: _nearest(found, foi_request.period_end)
        for force_id, found in _headcounts(force_ids).items()
    }
    return {force_id: snapshot for force_id, snapshot in nearest.items() if snapshot}


def request_force_table(*, foi_request: FoiRequest) -> ForceTable:
    """Per-force figures for one request, the unattributed remainder, and the reconciliation."""
    returns = list(
        FoiReturn.objects.public()
        .filter(request=foi_request, lines__isnull=False)
        .select_related("force")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.order_by("publisher")))
        .annotate(**_outcome_sums())
        .order_by("-cases", "force__name")
    )
    figures = list(
        ReportedFigure.objects.filter(request=foi_request)
        .select_related("source")
        .order_by("source__publisher", "id")
    )
    totals_by_force = defaultdict(list)
    national = defaultdict(list)
    for figure in figures:
        if figure.force_id is None:
            national[figure.metric].append(figure)
        elif figure.metric in ReportedFigure.TOTAL_METRICS:
            totals_by_force[figure.force_id].append(figure)

    workforce = _nearest_workforce(foi_request, [r.force_id for r in returns if r.force_id])
    rows, unattributed = [], None
    for foi_return in returns:
        reported_total = (
            ReportedValue(
                foi_return.reported_total, ReportedFigure.Qualifier.EXACT, list(foi_return.sources.all())
            )
            if foi_return.reported_total is not None
            else reported_value(totals_by_force.get(foi_return.force_id, []))
        )
        row = ForceRow(
            force=foi_return.force,
            cases=foi_return.cases,
            # The unattributed remainder is computed from a national total, so it is complete.
            total_known=foi_return.force_id is None or reported_total is not None,
            dismissed=foi_return.dismissed,
            resigned=foi_return.resigned,
            other_stated=foi_return.other_stated,
            outcome_not_stated=foi_return.outcome_not_stated,
            sources=list(foi_return.sources.all()),
            workforce=workforce.get(foi_return.force_id),
            reported_total=reported_total,
            foi_request=foi_request,
        )
        if foi_return.force_id is None:
            unattributed = row
        else:
            rows.append(row)

    national_values = {metric: reported_value(found) for metric, found in national.items()}
    reconciliations = []
    for metric, label, attr in (
        (ReportedFigure.Metric.CASES_TOTAL, "cases", "cases"),
        (ReportedFigure.Metric.BREACHES_TOTAL, "breaches", "cases"),
        (ReportedFigure.Metric.DISMISSED, "dismissed", "dismissed"),
        (ReportedFigure.Metric.RESIGNED, "resigned", "resigned"),
    ):
        if metric not in national_values:
            continue
        reconciliations.append(
            Reconciliation(
                metric=metric,
                label=label,
                reported=national_values[metric],
                attributed=sum(getattr(r, attr) for r in rows),
                unattributed=getattr(unattributed, attr) if unattributed else 0,
                named_forces=len(rows),
            )
        )
    return ForceTable(
        foi_request=foi_request,
        rows=rows,
        unattributed=unattributed,
        reconciliations=reconciliations,
        workforce_date=next((r.workforce.date for r in rows if r.workforce), None),
        national=national_values,
    )


def studies_overview() -> list[dict]:
    """Every request with its headline total as published (one query each for requests and figures)."""
    requests = list(
        FoiRequest.objects.public()
        .prefetch_related("sources")
        .annotate(lines_held=Sum("returns__lines__count", filter=Q(returns__in=FoiReturn.objects.public())))
        .order_by(F("period_end").desc(nulls_last=True), "slug")
    )
    figures = defaultdict(list)
    for figure in ReportedFigure.objects.filter(
        force__isnull=True, metric__in=ReportedFigure.TOTAL_METRICS
    ).select_related("source"):
        figures[figure.request_id].append(figure)
    overview = []
    for foi_request in requests:
        found = figures.get(foi_request.id, [])
        # A study reporting several totals (Huntsman: the whole period and each year) is
        # headlined by the one covering its whole period: the figure with the largest value.
        by_metric_period = defaultdict(list)
        for figure in found:
            by_metric_period[(figure.metric, figure.period_label)].append(figure)
        headline = max(
            (reported_value(group) for group in by_metric_period.values()),
            key=lambda v: v.value or 0,
            default=None,
        )
        overview.append({"request": foi_request, "headline": headline})
    return overview


# --- The dashboard: everything below reads through the one FilterSet --------------------------


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
    # Iterated, not tested for truth: django-filter's iterator cannot take len() of callable choices.
    return ", ".join(str(value) for value, _ in choices if value != "")


def filtered_lines(*, params) -> tuple[QuerySet, CaseLineFilter]:
    """Public case lines matching the filters in `params` (a QueryDict), or BadFilter."""
    filterset = CaseLineFilter(params, queryset=CaseLine.objects.public())
    unknown = sorted(set(params) - set(filterset.filters) - PRESENTATION_PARAMS)
    messages = [f"'{name}' is not a filter. Filters: {', '.join(filterset.filters)}." for name in unknown]
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
    return filterset.qs, filterset


def _active(filterset) -> set[str]:
    return {name for name, value in filterset.form.cleaned_data.items() if value not in (None, "", [])}


@dataclass
class DashboardRow:
    """One force's (or the unattributed part's) matching cases in one study."""

    foi_request: FoiRequest
    force: Force | None
    cases: int
    officers: int
    staff: int
    role_not_stated: int
    dismissed: int
    resigned: int
    other_stated: int
    outcome_not_stated: int
    total_known: bool
    sources: list = field(default_factory=list)
    workforce: WorkforceSnapshot | None = None

    name = ForceRow.name
    rate = ForceRow.rate
    outcome_cell = ForceRow.outcome_cell
    dismissed_cell = ForceRow.dismissed_cell
    resigned_cell = ForceRow.resigned_cell
    other_stated_cell = ForceRow.other_stated_cell

    def role_cell(self, count: int) -> int | None:
        """A count of a stated role; None ("—") when it is 0 only because roles are unstated."""
        if count == 0 and (self.role_not_stated or not self.total_known):
            return None
        return count

    @property
    def officers_cell(self):
        return self.role_cell(self.officers)

    @property
    def staff_cell(self):
        return self.role_cell(self.staff)

    @property
    def sort_key(self) -> dict:
        return {
            "force": self.name,
            "study": self.foi_request.title,
            "cases": self.cases,
            "officers": self.officers,
            "staff": self.staff,
            "dismissed": self.dismissed,
            "resigned": self.resigned,
            "other": self.other_stated,
            "not_stated": self.outcome_not_stated,
            "rate": self.rate,
        }


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


def _role_and_outcome_sums(prefix: str = "") -> dict:
    count = f"{prefix}count"
    stated_other = ~Q(**{f"{prefix}outcome__in": [Outcome.DISMISSED, Outcome.RESIGNED, Outcome.NOT_STATED]})
    return {
        "cases": Coalesce(Sum(count), 0),
        "officers": Coalesce(Sum(count, filter=Q(**{f"{prefix}role": "officer"})), 0),
        "staff": Coalesce(Sum(count, filter=Q(**{f"{prefix}role": "police_staff"})), 0),
        "role_not_stated": Coalesce(Sum(count, filter=Q(**{f"{prefix}role": "not_stated"})), 0),
        "dismissed": Coalesce(Sum(count, filter=Q(**{f"{prefix}outcome": Outcome.DISMISSED})), 0),
        "resigned": Coalesce(Sum(count, filter=Q(**{f"{prefix}outcome": Outcome.RESIGNED})), 0),
        "other_stated": Coalesce(Sum(count, filter=stated_other), 0),
        "outcome_not_stated": Coalesce(Sum(count, filter=Q(**{f"{prefix}outcome": Outcome.NOT_STATED})), 0),
    }


def dashboard_rows(lines: QuerySet, filterset, *, sort: str = "-cases") -> list[DashboardRow]:
    """Per force and study, the matching cases; sorted by any column (nulls last)."""
    grouped = list(lines.order_by().values("foi_return_id").annotate(**_role_and_outcome_sums()))
    return_ids = [g["foi_return_id"] for g in grouped]
    returns = {
        r.id: r
        for r in FoiReturn.objects.filter(id__in=return_ids)
        .select_related("force", "request")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.order_by("publisher")))
    }
    # A count is complete only when the force's total is published and, for each coded filter in
    # use, none of the force's lines leaves that value unstated.
    # Filtering *for* "not stated" counts the unstated cases themselves, exactly.
    cleaned = filterset.form.cleaned_data
    coded = {
        name for name in _active(filterset) & set(CODED_FILTERS) if CODED_FILTERS[name] not in cleaned[name]
    }
    unknown_returns = set()
    if coded:
        unknown_returns = set(
            CaseLine.objects.public()
            .filter(foi_return_id__in=return_ids)
            .filter(not_stated_in(coded))
            .values_list("foi_return_id", flat=True)
            .distinct()
        )
    totals_published = set(
        ReportedFigure.objects.filter(metric__in=ReportedFigure.TOTAL_METRICS, force__isnull=False)
        .values_list("request_id", "force_id")
        .distinct()
    )
    snapshots = _headcounts({r.force_id for r in returns.values() if r.force_id})

    rows = []
    for group in grouped:
        foi_return = returns[group["foi_return_id"]]
        unattributed = foi_return.force_id is None
        total_known = (
            unattributed
            or foi_return.reported_total is not None
            or (foi_return.request_id, foi_return.force_id) in totals_published
        ) and foi_return.id not in unknown_returns
        rows.append(
            DashboardRow(
                foi_request=foi_return.request,
                force=foi_return.force,
                cases=group["cases"],
                officers=group["officers"],
                staff=group["staff"],
                role_not_stated=group["role_not_stated"],
                dismissed=group["dismissed"],
                resigned=group["resigned"],
                other_stated=group["other_stated"],
                outcome_not_stated=group["outcome_not_stated"],
                total_known=total_known,
                sources=list(foi_return.sources.all()),
                workforce=None
                if unattributed
                else _nearest(snapshots[foi_return.force_id], foi_return.request.period_end),
            )
        )
    return sort_rows(rows, sort)


def sort_rows(rows: list[DashboardRow], sort: str) -> list[DashboardRow]:
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        raise BadFilter(
            [
                f"Sort ('sort'): '{sort}' is not a column. Accepted values: "
                + ", ".join(f"{k}, -{k}" for k in SORT_KEYS)
                + "."
            ]
        )
    descending = sort.startswith("-")
    present = [r for r in rows if r.sort_key[key] is not None]
    missing = [r for r in rows if r.sort_key[key] is None]
    # Ties keep a stable, readable order: by force name, then study.
    present.sort(key=lambda r: (r.name, r.foi_request.title))
    present.sort(key=lambda r: r.sort_key[key], reverse=descending)
    missing.sort(key=lambda r: (r.name, r.foi_request.title))
    return present + missing  # "—" sorts last whichever way, never as if it were 0


def headline(lines: QuerySet) -> dict:
    figures = lines.aggregate(
        **_role_and_outcome_sums(),
        named_forces=Count("foi_return__force", distinct=True),
        studies=Count("foi_return__request", distinct=True),
        unattributed=Coalesce(Sum("count", filter=Q(foi_return__force__isnull=True)), 0),
    )
    return figures


def breakdown(lines: QuerySet, dimension: str, choices) -> list[dict]:
    """Cases per value of one coded dimension, every value with cases, labelled."""
    labels = dict(choices)
    rows = (
        lines.order_by()
        .values(dimension)
        .annotate(cases=Sum("count"), forces=Count("foi_return__force", distinct=True))
        .order_by("-cases", dimension)
    )
    return [
        {
            "code": row[dimension],
            "label": labels.get(row[dimension], row[dimension]),
            "cases": row["cases"],
            "forces": row["forces"],
        }
        for row in rows
    ]


def outcome_by_role(lines: QuerySet) -> list[dict]:
    return list(
        lines.order_by().values("outcome", "role").annotate(cases=Sum("count")).order_by("outcome", "role")
    )


def trend(lines: QuerySet) -> list[dict]:
    """Matching cases per study, placed at the end of the study's period."""
    return list(
        lines.order_by()
        .values(
            "foi_return__request__slug",
            "foi_return__request__title",
            "foi_return__request__period_end",
            "foi_return__request__period_label",
            "foi_return__request__counting_unit",
        )
        .annotate(cases=Sum("count"))
        .order_by("foi_return__request__period_end", "foi_return__request__slug")
    )


FACET_FIELDS = {
    "study": ("foi_return__request__slug", "foi_return__request__title"),
    "region": ("foi_return__force__region", None),
    "country": ("foi_return__force__country", None),
    "force": ("foi_return__force__slug", "foi_return__force__name"),
    "role": ("role", None),
    "offence": ("offence", None),
    "system": ("system", None),
    "outcome": ("outcome", None),
    "criminal_outcome": ("criminal_outcome", None),
}


def facets(*, params, filterset) -> dict[str, list[dict]]:
    """For each filter, the cases per option under all the *other* filters in use.

    Counting against the other filters lets an analyst see where the data is before clicking,
    including options beside the ones already chosen. Lines with no force count under "not
    stated"; each facet's counts add up to the cases that match the other filters.
    """
    result = {}
    for name, (value_path, label_path) in FACET_FIELDS.items():
        others = params.copy()
        others.pop(name, None)
        for presentation in PRESENTATION_PARAMS:
            others.pop(presentation, None)
        queryset = CaseLineFilter(others, queryset=CaseLine.objects.public()).qs
        labels = dict(filterset.filters[name].field.choices) if name in CODED_FILTERS else {}
        paths = [value_path] + ([label_path] if label_path else [])
        selected = {str(v) for v in params.getlist(name)}
        options = []
        for row in (
            queryset.order_by().values(*paths).annotate(cases=Sum("count")).order_by("-cases", value_path)
        ):
            value = row[value_path]
            label = row[label_path] if label_path else labels.get(value, value)
            options.append(
                {
                    "value": value if value not in (None, "") else "",
                    "label": label if value not in (None, "") else NOT_STATED.capitalize(),
                    "cases": row["cases"],
                    "selected": str(value) in selected,
                }
            )
        result[name] = options
    return result


# --- Force, request and methodology pages ----------------------------------------------------


def force_list() -> list[Force]:
    public_lines = Q(foi_returns__in=FoiReturn.objects.public())
    return list(
        Force.objects.annotate(
            cases_held=Sum("foi_returns__lines__count", filter=public_lines),
            studies=Count(
                "foi_returns__request",
                filter=public_lines & Q(foi_returns__lines__isnull=False),
                distinct=True,
            ),
        ).order_by("name")
    )


def force_profile(*, force: Force) -> dict:
    """A force's figures in every study, its answer to each request, its workforce and sources."""
    returns = list(
        FoiReturn.objects.public()
        .filter(force=force)
        .select_related("request")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.order_by("publisher")))
        .annotate(**_role_and_outcome_sums("lines__"))
        .order_by(F("request__period_end").desc(nulls_last=True), "request__slug")
    )
    figures = list(
        ReportedFigure.objects.filter(force=force)
        .select_related("request", "source")
        .order_by(F("request__period_end").desc(nulls_last=True), "metric", "id")
    )
    totals = defaultdict(list)
    figures_by_request = defaultdict(list)
    for figure in figures:
        figures_by_request[figure.request_id].append(figure)
        if figure.metric in ReportedFigure.TOTAL_METRICS:
            totals[figure.request_id].append(figure)
    workforce = list(force.workforce.order_by("-date", "measure"))
    headcounts = [w for w in workforce if w.measure == WorkforceSnapshot.Measure.HEADCOUNT]
    rows = []
    for foi_return in returns:
        if not foi_return.cases:
            continue
        rows.append(
            DashboardRow(
                foi_request=foi_return.request,
                force=force,
                cases=foi_return.cases,
                officers=foi_return.officers,
                staff=foi_return.staff,
                role_not_stated=foi_return.role_not_stated,
                dismissed=foi_return.dismissed,
                resigned=foi_return.resigned,
                other_stated=foi_return.other_stated,
                outcome_not_stated=foi_return.outcome_not_stated,
                total_known=foi_return.reported_total is not None or bool(totals.get(foi_return.request_id)),
                sources=list(foi_return.sources.all()),
                workforce=_nearest(headcounts, foi_return.request.period_end),
            )
        )
    # Requests where the force has published figures but no lines (Big Brother Watch 2011).
    figure_only = [
        {"request": found[0].request, "figures": found}
        for request_id, found in figures_by_request.items()
        if not any(r.foi_request.id == request_id for r in rows)
    ]
    sources = {s.url: s for r in returns for s in r.sources.all()}
    sources.update({f.source.url: f.source for f in figures})
    return {
        "force": force,
        "rows": rows,
        "returns": returns,
        "figures_by_request": {r.foi_request.id: figures_by_request.get(r.foi_request.id, []) for r in rows},
        "figure_only": figure_only,
        "workforce": workforce,
        "workforce_sources": sorted({w.source for w in workforce}),
        "sources": sorted(sources.values(), key=lambda s: (s.publisher, s.title)),
        "chart": charts.study_bar(rows),
    }


def request_profile(*, foi_request: FoiRequest) -> dict:
    table = request_force_table(foi_request=foi_request)
    returns = list(
        FoiReturn.objects.public()
        .filter(request=foi_request)
        .select_related("force")
        .prefetch_related("sources")
        .order_by("status", "force__name")
    )
    by_status = defaultdict(list)
    for foi_return in returns:
        if foi_return.force_id:
            by_status[foi_return.get_status_display()].append(foi_return)
    figures = list(
        ReportedFigure.objects.filter(request=foi_request)
        .select_related("source", "force")
        .order_by("force__name", "metric", "detail", "period_label", "id")
    )
    national = defaultdict(list)
    by_force = defaultdict(list)
    for figure in figures:
        key = (figure.metric, figure.detail, figure.period_label)
        (national[key] if figure.force_id is None else by_force[figure.force]).append(figure)
    national_rows = [
        {"metric": found[0], "value": reported_value(found), "figures": found} for found in national.values()
    ]
    named = sum(len(v) for v in by_status.values())
    return {
        "foi_request": foi_request,
        "table": table,
        "by_status": dict(sorted(by_status.items())),
        "named_returns": named,
        "not_named": (foi_request.forces_answered - len(by_status.get("Answered", [])))
        if foi_request.forces_answered is not None
        else None,
        "national_rows": national_rows,
        "force_figures": sorted(by_force.items(), key=lambda item: item[0].name),
        "chart": charts.force_bar(table.rows) if table.rows else None,
    }


def methodology() -> dict:
    """How wording maps to codes, and every place the sources disagree, from the data itself."""
    public = CaseLine.objects.public()
    mappings = {}
    for dimension in ("offence", "system", "outcome", "role"):
        labels = dict(CaseLine._meta.get_field(dimension).choices)
        pairs = (
            public.exclude(**{f"{dimension}_wording": ""})
            .order_by()
            .values(dimension, f"{dimension}_wording")
            .annotate(cases=Sum("count"))
            .order_by(dimension, f"{dimension}_wording")
        )
        mappings[dimension] = [
            {"code": labels[p[dimension]], "wording": p[f"{dimension}_wording"], "cases": p["cases"]}
            for p in pairs
        ]
    disagreeing_lines = list(
        public.exclude(disagreement="")
        .select_related("foi_return__force", "foi_return__request")
        .order_by("foi_return__request__slug", "foi_return__force__name", "id")
    )
    groups = defaultdict(list)
    for figure in ReportedFigure.objects.select_related("source", "force", "request").order_by("id"):
        groups[
            (figure.request_id, figure.force_id, figure.metric, figure.detail, figure.period_label)
        ].append(figure)
    disagreeing_figures = []
    for found in groups.values():
        value = reported_value(found)
        if value is not None and value.disagreement:
            disagreeing_figures.append({"figure": found[0], "value": value})
    return {
        "mappings": mappings,
        "disagreeing_lines": disagreeing_lines,
        "disagreeing_figures": disagreeing_figures,
        "studies": list(FoiRequest.objects.public().order_by(F("period_end").desc(nulls_last=True), "slug")),
    }


# --- Dataset version and the case-lines list --------------------------------------------------

VERSIONED_MODELS = (Force, WorkforceSnapshot, Source, FoiRequest, FoiReturn, CaseLine, ReportedFigure)


def dataset_version() -> str:
    """A version that changes whenever the data changes: every create, update or delete leaves a
    history row, so the newest history ids and date identify the data's state (one query)."""
    from django.db import connection

    union = " UNION ALL ".join(
        f"SELECT max(history_id) AS id, max(history_date) AS at FROM {model.history.model._meta.db_table}"
        for model in VERSIONED_MODELS
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(sum(id), 0), max(at) FROM ({union}) AS latest")
        total, latest = cursor.fetchone()
    return f"{latest:%Y%m%d}.{total}" if latest else "empty"


def case_line_page(lines: QuerySet) -> QuerySet:
    return (
        lines.select_related("foi_return__force", "foi_return__request")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.order_by("publisher")))
        .order_by("id")
    )
