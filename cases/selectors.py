"""Reads of cases: what the sources say a total is, and whether a return's lines add up to it."""

from collections import defaultdict
from dataclasses import dataclass

from cases.models import FoiReturn, ReportedFigure, Source

NOT_STATED = "not stated"


@dataclass
class ReportedValue:
    """What the sources published for one metric of one scope, with the sources that say it."""

    value: int | None
    qualifier: str
    sources: list[Source]
    disagreement: str = ""  # different sources give different numbers
    parts: str = ""  # one source gives the number in parts (by role, say) that add up

    @property
    def display(self) -> str:
        if self.value is None:
            return NOT_STATED
        if self.qualifier == ReportedFigure.Qualifier.EXACT:
            return f"{self.value:,}"
        return f"{ReportedFigure.Qualifier(self.qualifier).label.lower()} {self.value:,}"


def _per_source(period_figures: list[ReportedFigure]) -> dict:
    """What each source says for one period: one value, or parts that add up.

    A source repeating one number (The Register names the Met's CRIS dismissal twice) says it
    once. A source giving several numbers for the same measure gives parts of it (Dorset: 7
    officers, 11 staff): they add up, and the parts are spelled out.
    """
    by_source = defaultdict(list)
    for figure in period_figures:
        if figure.value is not None:
            by_source[figure.source].append(figure)
    said = {}
    for source, found in by_source.items():
        values = {f.value for f in found}
        qualifier = next(
            (f.qualifier for f in found if f.qualifier != ReportedFigure.Qualifier.EXACT),
            ReportedFigure.Qualifier.EXACT,
        )
        if len(values) == 1:
            said[source] = (values.pop(), qualifier, "")
        else:
            parts = " + ".join(f"{f.value_display} {f.role_wording}".strip() for f in found)
            said[source] = (sum(f.value for f in found), qualifier, f"{parts} ({source.publisher})")
    return said


@dataclass(frozen=True)
class Statement:
    """What one source says for one metric, scope and period: a number, or parts that add up."""

    source: Source
    value: int
    qualifier: str
    parts: str  # "2 police officers + 4 civilian staff", or "" for a single number

    @property
    def display(self) -> str:
        said = ReportedFigure(value=self.value, qualifier=self.qualifier).value_display
        return f"{said} = {self.parts}" if self.parts else said


def statements(figures: list[ReportedFigure]) -> list[Statement]:
    """Each source's statement among figures of one metric, scope and period (as `_per_source`
    reads them: one number said once, or several numbers that are parts of it)."""
    by_source = defaultdict(list)
    for figure in figures:
        if figure.value is not None:
            by_source[figure.source].append(figure)
    found = []
    for source, group in by_source.items():
        values = {f.value for f in group}
        qualifier = next(
            (f.qualifier for f in group if f.qualifier != ReportedFigure.Qualifier.EXACT),
            ReportedFigure.Qualifier.EXACT,
        )
        if len(values) == 1:
            found.append(Statement(source, values.pop(), qualifier, ""))
        else:
            parts = " + ".join(f"{f.value_display} {f.role_wording}".strip() for f in group)
            found.append(Statement(source, sum(f.value for f in group), qualifier, parts))
    return found


def reported_value(figures: list[ReportedFigure]) -> ReportedValue | None:
    """Combine the figures several sources give for one metric and scope.

    Figures for different sub-periods (Cleveland's FY2017/18 and FY2018/19) add up. Within a
    period the sources must agree; where they give different numbers the value is withheld and
    the disagreement spelled out, never settled silently. Where they differ only in how exact
    they are ("over 70" against "70") the number is kept, qualified, and the difference shown.
    """
    if not figures:
        return None
    by_period = defaultdict(list)
    for figure in figures:
        by_period[figure.period_label].append(figure)
    sources = []
    for figure in figures:
        if figure.source not in sources:
            sources.append(figure.source)
    total, qualifier, notes, parts = 0, ReportedFigure.Qualifier.EXACT, [], []
    for period, period_figures in by_period.items():
        said = _per_source(period_figures)
        if not said:
            return ReportedValue(None, ReportedFigure.Qualifier.NO_NUMBER, sources)
        parts.extend(f"{period}: {in_parts}" for _, _, in_parts in said.values() if in_parts)
        numbers = {value for value, _, _ in said.values()}
        qualifiers = {q for _, q, _ in said.values()}
        if len(numbers) > 1 or len(qualifiers) > 1:
            differ = "; ".join(
                f"{ReportedFigure(value=value, qualifier=q).value_display} ({source.publisher})"
                for source, (value, q, _) in said.items()
            )
            notes.append(f"{period}: {differ}")
            if len(numbers) > 1:
                return ReportedValue(
                    None, ReportedFigure.Qualifier.NO_NUMBER, sources, "; ".join(notes), "; ".join(parts)
                )
        value = numbers.pop()
        total += value
        if qualifiers != {ReportedFigure.Qualifier.EXACT}:
            qualifier = next(q for q in qualifiers if q != ReportedFigure.Qualifier.EXACT)
    return ReportedValue(total, qualifier, sources, "; ".join(notes), "; ".join(parts))


@dataclass(frozen=True)
class ReturnReconciliation:
    lines_total: int
    reported: int | None
    qualifier: str = ReportedFigure.Qualifier.EXACT
    basis: str = ""  # where the reported total comes from: the return itself, or the figures
    disagreement: bool = False

    @property
    def reported_display(self) -> str:
        if self.reported is None:
            return "not stated"
        if self.qualifier == ReportedFigure.Qualifier.EXACT:
            return f"{self.reported:,}"
        return f"{ReportedFigure.Qualifier(self.qualifier).label.lower()} {self.reported:,}"

    @property
    def warning(self) -> str:
        """What is wrong and how to put it right; empty when the lines agree or nothing is reported."""
        if self.disagreement:
            return (
                "The sources give different totals for this force, so the lines cannot be checked: "
                "see its reported figures."
            )
        if self.reported is None:
            return ""
        held, reported = self.lines_total, self.reported
        if self.qualifier == ReportedFigure.Qualifier.EXACT:
            if held < reported:
                return (
                    f"The lines add up to {held:,}, but {self.basis} reports {reported:,}: "
                    f"{reported - held:,} not in any line. Add the missing lines, or a line with basis "
                    "“Remainder” for the part the reply does not describe."
                )
            if held > reported:
                return (
                    f"The lines add up to {held:,}, more than the {reported:,} {self.basis} reports. "
                    "Check for a line entered twice, or correct the reported total."
                )
            return ""
        if held < reported:
            return (
                f"The lines add up to {held:,}, but {self.basis} reports {self.reported_display}. "
                "Add the missing lines if the reply describes them."
            )
        return ""


def return_reconciliation(
    *, foi_return: FoiReturn, figures: list[ReportedFigure] | None = None
) -> ReturnReconciliation:
    """The return's lines against its reported total.

    The total is the one entered on the return (from the reply itself) if there is one, else the
    published figures for the request and force: figures for different periods add up; within a
    period the sources must agree.
    """
    lines_total = foi_return.lines.total() if foi_return.pk else 0
    if foi_return.reported_total is not None:
        return ReturnReconciliation(lines_total, foi_return.reported_total, basis="the return")
    if foi_return.force_id is None:
        return ReturnReconciliation(lines_total, None)
    if figures is None:
        figures = list(
            ReportedFigure.objects.filter(
                request_id=foi_return.request_id,
                force_id=foi_return.force_id,
                metric__in=ReportedFigure.TOTAL_METRICS,
            )
        )
    metric = next((m for m in ReportedFigure.TOTAL_METRICS if any(f.metric == m for f in figures)), None)
    value = reported_value([f for f in figures if f.metric == metric])
    if value is None or value.value is None:
        return ReturnReconciliation(lines_total, None, disagreement=bool(value and value.disagreement))
    return ReturnReconciliation(lines_total, value.value, value.qualifier, basis="the published figures")
