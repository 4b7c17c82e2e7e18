"""Plotly charts built on the server from the engine's views; pages embed them with json_script.

Rules every chart keeps:
- one counting unit per chart, named in its title, axis and caption;
- never a line joining different studies: over time, one mark per study spanning its period,
  labelled with the study;
- "not stated" is set apart in the caption ("31 of 237 have a stated outcome"), never a bar that
  dwarfs the stated ones;
- no chart of a single bar: the page shows the figure instead (a chart function returns None);
- a value that is not known is left out, never drawn as zero; a partly known one is hatched;
- an accessible name and a caption saying unit, period and source;
- colours step in lightness and bars carry patterns, so series read in greyscale too.
"""

import json
import textwrap
from dataclasses import asdict, dataclass

import plotly.graph_objects as go

from cases.models import Outcome, Role

SERIES_STYLES = [
    ("#0b3d6b", ""),
    ("#3b7dc4", "/"),
    ("#8fb8e8", "."),
    ("#c9782b", "x"),
]
ROLE_ORDER = [Role.OFFICER, Role.STAFF, Role.PCSO, Role.SPECIAL]
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13, color="#1b1b1b")


@dataclass(frozen=True)
class ChartView:
    """One state of a chart that buttons switch between (a count, a rate)."""

    label: str  # the button's text
    name: str  # the chart's accessible name in this state
    visible: list[bool]  # which traces show
    layout: dict  # Plotly relayout changes: title, axis title


@dataclass(frozen=True)
class Chart:
    spec: dict
    name: str  # the chart's accessible name
    caption: str  # unit, period and source
    key: str = "chart"  # names its element on a page: chart-<key>, its data chart-<key>-data
    views: tuple[ChartView, ...] = ()  # states to switch between, the first shown; none for most
    # The filters of its embed, /embed/<key>/?<embed_query> (reports/embeds.py); None: not offered.
    embed_query: str | None = None

    @property
    def data(self) -> dict:
        """What the page embeds: the Plotly figure and the states its buttons switch to."""
        return {**self.spec, "views": [asdict(view) for view in self.views]}


def _layout(title: str, *, right_text=(), **extra) -> dict:
    """The layout every chart shares. `right_text`: the values written beyond the ends of
    horizontal bars, which Plotly's margins do not make room for: the right margin is widened to
    the longest, so a narrow screen shows "at least 1,234" whole."""
    longest = max((len(text) for text in right_text), default=0)
    return dict(
        title=dict(text=title, x=0, xanchor="left"),
        font=FONT,
        margin=dict(l=10, r=max(20, round(7.5 * longest) + 12), t=60, b=10, pad=4),
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        hoverlabel=dict(font=FONT),
        **extra,
    )


def _spec(figure: go.Figure) -> dict:
    return json.loads(figure.to_json())


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wrapped(label: str, width: int = 22) -> str:
    """A long axis label over several lines, so a phone shows it whole beside its bar."""
    return "<br>".join(textwrap.wrap(label, width)) or label


def _periods(view) -> str:
    return "; ".join(f"{s.period_label}" for s in view.studies)


def _studies(view) -> str:
    return "; ".join(s.title for s in view.studies)


def force_chart(view) -> Chart | None:
    """One bar per named force (its count in this view); partly known counts hatched."""
    named = [r for r in view.rows if r.force is not None and r.cases.known]
    if len(named) < 2:
        return None
    unit = view.unit_label
    several = len({r.foi_request.id for r in named}) > 1
    labels = [
        f"{r.force.short_name}<br>{_short(r.foi_request.title, 24)}" if several else r.force.short_name
        for r in named
    ]
    bars = [
        go.Bar(
            name=unit,
            y=labels,
            x=[r.cases.value for r in named],
            orientation="h",
            marker=dict(
                color="#0b3d6b", pattern=dict(shape=["" if r.cases.complete else "x" for r in named])
            ),
            text=[r.cases.display for r in named],
            textposition="outside",
            cliponaxis=False,
            hovertext=[f"{r.name}: {r.cases.display} {unit.lower()}" for r in named],
            hoverinfo="text",
        )
    ]
    with_rate = [(label, r) for label, r in zip(labels, named, strict=True) if r.rate.per_1000 is not None]
    switch = []
    if len(with_rate) >= 2:
        bars.append(
            go.Bar(
                name="per 1,000 headcount",
                y=[label for label, _ in with_rate],
                x=[float(r.rate.per_1000) for _, r in with_rate],
                orientation="h",
                marker=dict(color="#3b7dc4", pattern=dict(shape="/")),
                text=[r.rate.display for _, r in with_rate],
                textposition="outside",
                cliponaxis=False,
                hovertext=[r.rate.description for _, r in with_rate],
                hoverinfo="text",
                visible=False,
            )
        )
        # Switched by HTML buttons beside the chart (static/js/charts.js), not Plotly's own menu:
        # real buttons are reachable and announced by keyboard and screen reader.
        switch = [
            ChartView(
                label="Count",
                name=f"Bar chart: {unit.lower()} by force",
                visible=[True, False],
                layout={"title.text": f"{unit}, by force", "xaxis.title.text": unit},
            ),
            ChartView(
                label="Per 1,000 headcount",
                name=f"Bar chart: {unit.lower()} per 1,000 headcount, by force",
                visible=[False, True],
                layout={
                    "title.text": f"{unit} per 1,000 headcount, by force",
                    "xaxis.title.text": "per 1,000 headcount over the study's period",
                },
            ),
        ]
    figure = go.Figure(bars)
    figure.update_layout(
        **_layout(
            f"{unit}, by force",
            right_text=[text for bar in bars for text in bar.text],
            height=max(300, (44 if several else 30) * len(named) + 130),
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True),
            showlegend=False,
        )
    )
    hatched = any(not r.cases.complete for r in named)
    caption = (
        f"{unit}, by force. {_periods(view)}. "
        f"Source: the case lines of {_studies(view)}, each from its published sources."
        + (" Hatched bars are partly known totals (at least N)." if hatched else "")
        + (" The buttons switch to the rate per 1,000 headcount." if switch else "")
    )
    return Chart(_spec(figure), f"Bar chart: {unit.lower()} by force", caption, "forces", tuple(switch))


def breakdown_chart(view, breakdown, title: str) -> Chart | None:
    """Stated values of one field; the not-stated count goes in the caption, not in a bar."""
    stated = [c for c in breakdown.stated if c.figure.known]
    if len(stated) < 2:
        return None
    unit = view.unit_label
    figure = go.Figure(
        go.Bar(
            y=[_wrapped(c.label) for c in stated],
            x=[c.figure.value for c in stated],
            orientation="h",
            marker=dict(
                color="#0b3d6b", pattern=dict(shape=["" if c.figure.complete else "x" for c in stated])
            ),
            text=[c.figure.display for c in stated],
            textposition="outside",
            cliponaxis=False,
            hovertext=[f"{c.label}: {c.figure.display} {unit.lower()}" for c in stated],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        **_layout(
            f"{unit}: {title.lower()}",
            right_text=[c.figure.display for c in stated],
            height=max(260, 46 * len(stated) + 120),
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True),
        )
    )
    caption = (
        f"{unit}: {title.lower()}, where the sources state it — {breakdown.stated_total.display} of "
        f"{breakdown.total.display}; {breakdown.not_stated.display} not stated. {_periods(view)}. "
        f"Source: the case lines of {_studies(view)}."
    )
    return Chart(
        _spec(figure), f"Bar chart: {unit.lower()} {title.lower()}", caption, f"{breakdown.dimension}s"
    )


def outcome_mix(view) -> Chart | None:
    """Stated outcomes stacked by stated role, most severe first; unstated ones in the caption."""
    cells = {}
    for row in view.rows:
        for (outcome, role), cases in row.counts.by("outcome", "role").items():
            if outcome == Outcome.NOT_STATED or role == Role.NOT_STATED:
                continue
            cells[(outcome, role)] = cells.get((outcome, role), 0) + int(cases)
    outcomes = [o for o in Outcome.values if any(key[0] == o for key in cells)]
    if len(cells) < 2:
        return None
    unit = view.unit_label
    traces = []
    for role, (colour, pattern) in zip(ROLE_ORDER, SERIES_STYLES, strict=True):
        values = [cells.get((o, role)) for o in outcomes]
        if not any(values):
            continue
        traces.append(
            go.Bar(
                name=Role(role).label,
                x=[Outcome(o).label for o in outcomes],
                y=values,
                marker=dict(color=colour, pattern=dict(shape=pattern), line=dict(color="#1b1b1b", width=0.5)),
                hovertemplate=f"{Role(role).label}, %{{x}}: %{{y}}<extra></extra>",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        **_layout(
            f"{unit}: outcome by role, where both are stated",
            barmode="stack",
            height=440,
            yaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True),
            xaxis=dict(automargin=True, tickangle=-30),
            legend=dict(orientation="h", y=-0.45),
        )
    )
    both = sum(cells.values())
    total = view.headline["cases"]
    caption = (
        f"{unit} whose outcome and role are both stated: {both:,} of {total.display}. "
        f"{_periods(view)}. Source: the case lines of {_studies(view)}."
    )
    return Chart(
        _spec(figure), f"Stacked bar chart: {unit.lower()} by outcome and role", caption, "outcome-roles"
    )


def study_points(view) -> list[dict]:
    """Each study's total in this view, for the chart over time and its data table."""
    points = []
    for study in view.studies:
        rows = [r for r in view.rows if r.foi_request.id == study.id]
        points.append({"study": study, "figure": view.study_totals[study.id], "rows": len(rows)})
    return points


def over_time(view, points: list[dict]) -> Chart | None:
    """One mark per study, spanning its period, labelled with the study: no line joins them."""
    dated = [
        p
        for p in points
        if p["study"].period_start and p["study"].period_end and p["figure"] and p["figure"].known
    ]
    if len(dated) < 2:
        return None
    unit = view.unit_label
    traces = []
    for point in dated:
        study, figure = point["study"], point["figure"]
        traces.append(
            go.Scatter(
                x=[study.period_start.isoformat(), study.period_end.isoformat()],
                y=[figure.value, figure.value],
                mode="lines+markers+text",
                line=dict(color="#0b3d6b", width=4, dash="solid" if figure.complete else "dot"),
                marker=dict(
                    size=9,
                    color="#0b3d6b",
                    symbol=["line-ns", "line-ns"],
                    line=dict(width=2, color="#0b3d6b"),
                ),
                text=[f"{_short(study.title, 34)}: {figure.display}", ""],
                textposition="top right",
                cliponaxis=False,
                hovertext=f"{study.title}<br>{study.period_label}: {figure.display} {unit.lower()}",
                hoverinfo="text",
                showlegend=False,
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        **_layout(
            f"{unit}, study by study, over each study's period",
            height=380,
            xaxis=dict(
                title="Period covered", gridcolor="#e5e5e5", type="date", tickformat="%Y", automargin=True
            ),
            yaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True),
        )
    )
    caption = (
        f"{unit} in each study, drawn across the period it covers. Studies ask different forces different "
        "questions, so the marks are not joined: compare within a study. Dotted: partly known (at least N). "
        f"Source: the case lines of {_studies(view)}."
    )
    return Chart(_spec(figure), f"Chart over time: {unit.lower()} by study", caption, "trend")


def study_chart(view) -> Chart | None:
    """One force's counts in each study of one unit, oldest first (a force page)."""
    rows = [r for r in view.rows if r.cases.known]
    if len(rows) < 2:
        return None
    rows = sorted(rows, key=lambda r: (r.foi_request.period_end is None, r.foi_request.period_end or 0))
    unit = view.unit_label
    figure = go.Figure(
        go.Bar(
            x=[
                f"{r.foi_request.period_label}<br>"
                f"{_short(r.foi_request.requester or r.foi_request.title, 28)}"
                for r in rows
            ],
            y=[r.cases.value for r in rows],
            marker=dict(color="#0b3d6b", pattern=dict(shape=["" if r.cases.complete else "x" for r in rows])),
            text=[r.cases.display for r in rows],
            textposition="outside",
            cliponaxis=False,
            hovertext=[f"{r.foi_request.title}: {r.cases.display}" for r in rows],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        **_layout(
            f"{unit} in each study",
            height=380,
            yaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True),
            xaxis=dict(automargin=True),
        )
    )
    caption = (
        f"{unit} in each study that counts them, {_periods(view)}. Bars are separate studies, not a series. "
        f"Source: the case lines of {_studies(view)}."
    )
    return Chart(_spec(figure), f"Bar chart: {unit.lower()} by study", caption, "studies")


# --- Every chart by its key ---------------------------------------------------------------------
# A chart's key names its element on a page (chart-<key>) and its embed (/embed/<key>/): both
# build it here, from the same view, so an embedded chart is the page's chart.

BREAKDOWN_TITLES = {
    "offence": "By offence",
    "outcome": "By outcome",
    "role": "By role",
    "system": "By system misused",
}
BUILDERS = {
    "forces": force_chart,
    **{
        f"{dimension}s": (
            lambda view, dimension=dimension: breakdown_chart(
                view, view.breakdowns[dimension], BREAKDOWN_TITLES[dimension]
            )
        )
        for dimension in BREAKDOWN_TITLES
    },
    "outcome-roles": outcome_mix,
    "trend": lambda view: over_time(view, study_points(view)),
    "studies": study_chart,
}


def build(key: str, view) -> Chart | None:
    """The chart named `key` of a view (None where it would be a single bar, or empty)."""
    return BUILDERS[key](view)
