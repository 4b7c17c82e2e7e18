"""Reads for the admin: whether a return's lines add up to the total its reply reports."""

from collections import defaultdict
from dataclasses import dataclass

from cases.models import FoiReturn, ReportedFigure


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
    by_metric = defaultdict(lambda: defaultdict(list))
    for figure in figures:
        by_metric[figure.metric][figure.period_label].append(figure)
    metric = next((m for m in ReportedFigure.TOTAL_METRICS if m in by_metric), None)
    if metric is None:
        return ReturnReconciliation(lines_total, None)
    total, qualifier = 0, ReportedFigure.Qualifier.EXACT
    for period_figures in by_metric[metric].values():
        numbers = {figure.value for figure in period_figures if figure.value is not None}
        if not numbers:
            return ReturnReconciliation(lines_total, None)
        if len(numbers) > 1:
            return ReturnReconciliation(lines_total, None, disagreement=True)
        total += numbers.pop()
        if any(figure.qualifier != ReportedFigure.Qualifier.EXACT for figure in period_figures):
            qualifier = ReportedFigure.Qualifier.AT_LEAST
    return ReturnReconciliation(lines_total, total, qualifier, basis="the published figures")
