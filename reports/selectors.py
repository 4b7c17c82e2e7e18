"""Reads for the public pages: per-force tables, reconciliation with the published figures.

Aggregation happens in PostgreSQL; Python only arranges the few aggregated rows that come back.
Every selector makes a fixed number of queries, whatever the number of lines.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Prefetch, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from cases.models import FoiRequest, FoiReturn, Outcome, ReportedFigure, Source
from forces.models import Force, WorkforceSnapshot

NOT_STATED = "not stated"


@dataclass
class ReportedValue:
    """What the sources published for one metric of one scope, with the sources that say it."""

    value: int | None
    qualifier: str
    sources: list[Source]
    disagreement: str = ""

    @property
    def display(self) -> str:
        if self.value is None:
            return NOT_STATED
        if self.qualifier == ReportedFigure.Qualifier.EXACT:
            return f"{self.value:,}"
        return f"{ReportedFigure.Qualifier(self.qualifier).label.lower()} {self.value:,}"


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


def reported_value(figures: list[ReportedFigure]) -> ReportedValue | None:
    """Combine the figures several sources give for one metric and scope.

    Figures for different sub-periods (Cleveland's FY2017/18 and FY2018/19) add up; within a
    period the sources must agree, and where they do not the value is withheld and the
    disagreement is spelled out, never settled silently.
    """
    if not figures:
        return None
    by_period = defaultdict(list)
    for figure in figures:
        by_period[figure.period_label].append(figure)
    total, qualifier, disagreements, sources = 0, ReportedFigure.Qualifier.EXACT, [], []
    for period, period_figures in by_period.items():
        values = {(f.value, f.qualifier) for f in period_figures if f.value is not None}
        for f in period_figures:
            if f.source not in sources:
                sources.append(f.source)
        if not values:
            return ReportedValue(None, ReportedFigure.Qualifier.NO_NUMBER, sources)
        if len(values) > 1:
            said = "; ".join(
                f"{f.value_display} ({f.source.publisher})" for f in period_figures if f.value is not None
            )
            disagreements.append(f"{period}: {said}")
            # The sources differ only in how exact they are ("over 70" vs "70"): keep the
            # number, qualified, and say so.
            numbers = {v for v, _ in values}
            if len(numbers) > 1:
                return ReportedValue(
                    None, ReportedFigure.Qualifier.NO_NUMBER, sources, "; ".join(disagreements)
                )
            qualifier = ReportedFigure.Qualifier.AT_LEAST
        value, single_qualifier = next(iter(values))
        total += value
        if single_qualifier != ReportedFigure.Qualifier.EXACT:
            qualifier = single_qualifier
    return ReportedValue(total, qualifier, sources, "; ".join(disagreements))


def _nearest_workforce(foi_request: FoiRequest, force_ids: list[int]) -> dict[int, WorkforceSnapshot]:
    """Each force's headcount snapshot nearest the end of the request's period (one query)."""
    if foi_request.period_end is None or not force_ids:
        return {}
    snapshots = (
        WorkforceSnapshot.objects.filter(force_id__in=force_ids, measure=WorkforceSnapshot.Measure.HEADCOUNT)
        .annotate(distance=RawSQL("abs(date - %s)", [foi_request.period_end]))
        .order_by("force_id", "distance", "date")
        .distinct("force_id")
    )
    return {s.force_id: s for s in snapshots}


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
        reported_total = reported_value(totals_by_force.get(foi_return.force_id, []))
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
        FoiRequest.objects.prefetch_related("sources")
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
