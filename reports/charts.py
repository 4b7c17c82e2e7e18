"""Plotly charts built on the server from the engine's views; pages embed them with json_script.

Rules every chart keeps:
- one counting unit per chart, named in its title, axis and caption;
- never a line joining different studies: over time, one mark per study spanning its period,
  named in the key under the chart with its study, period and value (nothing written on the plot
  can overlap or be cut);
- a study is named by its short name and year ("Big Brother Watch, 2011", reports/wording.py),
  whole, never cut; captions pair each study with its period, each once;
- a figure reads as everywhere else (value, "at least N", "—"), in its text and its hover
  ("at least 1 person disciplined", reports/wording.py `count_phrase`);
- titles wrap to the chart's width (static/js/charts.js); long labels wrap, never cut;
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
from reports.engine import Figure
from reports.wording import count_phrase, period_text, studies_with_periods, study_names

# Colour, pattern and the colour of text written on it, per series. "x" is kept for partly known
# ("at least") values on every chart, so no series uses it.
SERIES_STYLES = [
    ("#0b3d6b", "", "#ffffff"),
    ("#3b7dc4", "/", "#ffffff"),
    ("#8fb8e8", ".", "#1b1b1b"),
    ("#c9782b", "\\", "#1b1b1b"),
]
AT_LEAST = "x"  # the hatch of a partly known value
# The marks of the chart over time, one per study: shape and colour both differ, for greyscale.
STUDY_MARKS = [
    ("circle", "#0b3d6b"),
    ("square", "#c9782b"),
    ("diamond", "#3b7dc4"),
    ("triangle-up", "#6b3d0b"),
    ("cross", "#1b6b3d"),
    ("star", "#5a5a5a"),
    ("hexagon", "#8a2b5b"),
    ("triangle-down", "#2b5b8a"),
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
        # Wrapped to the chart's width where it is drawn (static/js/charts.js).
        title=dict(text=title, x=0, xanchor="left", font=dict(size=16)),
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


def _studies(view) -> str:
    """The view's studies, each with its period, each once: the caption's "period"."""
    listed = studies_with_periods(view.studies)
    return f"Study: {listed}." if len(view.studies) == 1 else f"Studies and their periods: {listed}."


SOURCE = "Source: the case lines of each study, from its published sources."
# The key (legend) under a chart, at the foot of its box: Plotly makes room for it there, below the
# axis labels, at any width; clicking it hides nothing.
KEY_UNDER = dict(
    orientation="h",
    x=0,
    xanchor="left",
    xref="container",
    y=0,
    yanchor="bottom",
    yref="container",
    traceorder="normal",
    itemclick=False,
    itemdoubleclick=False,
)
HATCHED = " Hatched bars are partly known totals (at least N)."


def _phrase(view, figure) -> str:
    """A figure with the view's unit: "at least 1 person disciplined"."""
    return count_phrase(figure, view.unit) if view.unit else figure.display


def _lines(label: str) -> int:
    return label.count("<br>") + 1


def force_chart(view) -> Chart | None:
    """One bar per named force (its count in this view); partly known counts hatched. Where the
    view holds several studies, each bar says which: the force and the study's short name with
    its year, whole (wrapped, never cut)."""
    named = [r for r in view.rows if r.force is not None and r.cases.known]
    if len(named) < 2:
        return None
    unit = view.unit_label
    several = len({r.foi_request.id for r in named}) > 1
    names = study_names(view.studies)
    labels = [
        f"{_wrapped(r.force.short_name)}<br>{_wrapped(names[r.foi_request.id])}"
        if several
        else r.force.short_name
        for r in named
    ]
    bars = [
        go.Bar(
            name=unit,
            y=labels,
            x=[r.cases.value for r in named],
            orientation="h",
            marker=dict(
                color="#0b3d6b",
                pattern=dict(shape=["" if r.cases.complete else AT_LEAST for r in named]),
            ),
            text=[r.cases.display for r in named],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"{r.name}, {names[r.foi_request.id]} ({period_text(r.foi_request.period_label)}): "
                f"{_phrase(view, r.cases)}"
                for r in named
            ],
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
                hovertext=[f"{r.name}: {r.rate.description}" for _, r in with_rate],
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
    lines = max(_lines(label) for label in labels)
    figure.update_layout(
        **_layout(
            f"{unit}, by force",
            right_text=[text for bar in bars for text in bar.text],
            height=max(300, (17 * lines + 14) * len(named) + 140),
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True, tickformat=","),
            showlegend=False,
        )
    )
    hatched = any(not r.cases.complete for r in named)
    caption = (
        f"{unit}, by force. {_studies(view)} {SOURCE}"
        + (HATCHED if hatched else "")
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
                color="#0b3d6b",
                pattern=dict(shape=["" if c.figure.complete else AT_LEAST for c in stated]),
            ),
            text=[c.figure.display for c in stated],
            textposition="outside",
            cliponaxis=False,
            hovertext=[f"{c.label}: {_phrase(view, c.figure)}" for c in stated],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        **_layout(
            f"{unit}: {title.lower()}",
            right_text=[c.figure.display for c in stated],
            height=max(260, (17 * max(_lines(_wrapped(c.label)) for c in stated) + 14) * len(stated) + 130),
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True, tickformat=","),
        )
    )
    caption = (
        f"{unit}: {title.lower()}, where the sources state it — {breakdown.stated_total.display} of "
        f"{breakdown.total.display}; {breakdown.not_stated.display} not stated. {_studies(view)} {SOURCE}"
        + (HATCHED if any(not c.figure.complete for c in stated) else "")
    )
    return Chart(
        _spec(figure), f"Bar chart: {unit.lower()} {title.lower()}", caption, f"{breakdown.dimension}s"
    )


def _cell_figures(view) -> dict[tuple[str, str], Figure]:
    """The engine's figure of each (outcome, role) where both are stated, from the view's rows.

    Its value is the count of held lines with both values, summed as the engine sums them. It is
    exact only where the engine's own figures for that outcome and for that role are both exact:
    then every case with that outcome is held with its role stated, so the lines are all of them.
    Otherwise it is "at least" the lines held, like the outcome and role columns it sits in, so a
    cell never reads exact beside an "at least" total on the same page."""
    held: dict[tuple[str, str], int] = {}
    for row in view.rows:
        for (outcome, role), cases in row.counts.by("outcome", "role").items():
            if outcome == Outcome.NOT_STATED or role == Role.NOT_STATED:
                continue
            held[(outcome, role)] = held.get((outcome, role), 0) + int(cases)
    exact = {
        dimension: {c.code for c in view.breakdowns[dimension].stated if c.figure.complete}
        for dimension in ("outcome", "role")
    }
    cells = {}
    for (outcome, role), count in held.items():
        figure = Figure.of(count, complete=outcome in exact["outcome"] and role in exact["role"])
        if figure.known:
            cells[(outcome, role)] = figure
    return cells


def outcome_mix(view) -> Chart | None:
    """Stated outcomes, most severe first, each a bar split by stated role; unstated ones in the
    caption. Each part is the engine's figure ("at least" hatched and written so); a view with one
    stated outcome has no chart (its figure is in the outcome table)."""
    cells = _cell_figures(view)
    outcomes = [o for o in Outcome.values if any(key[0] == o for key in cells)]
    if len(outcomes) < 2:
        return None
    unit = view.unit_label
    labels = {o: _wrapped(Outcome(o).label) for o in outcomes}
    traces = []
    for role, (colour, pattern, ink) in zip(ROLE_ORDER, SERIES_STYLES, strict=True):
        present = [o for o in outcomes if (o, role) in cells]
        if not present:
            continue
        figures = [cells[(o, role)] for o in present]
        traces.append(
            go.Bar(
                name=Role(role).label,
                y=[labels[o] for o in present],
                x=[f.value for f in figures],
                orientation="h",
                marker=dict(
                    color=colour,
                    pattern=dict(shape=[pattern if f.complete else AT_LEAST for f in figures]),
                    line=dict(color="#1b1b1b", width=0.5),
                ),
                # Written inside each part where it fits; where it does not, Plotly leaves it out
                # (uniformtext "hide") rather than spill it over a neighbour: the hover and the
                # outcome table carry it.
                text=[f.display for f in figures],
                textposition="inside",
                insidetextanchor="middle",
                textfont=dict(color=ink),
                hovertext=[
                    f"{Role(role).label}, {Outcome(o).label}: {_phrase(view, f)}"
                    for o, f in zip(present, figures, strict=True)
                ],
                hoverinfo="text",
            )
        )
    figure = go.Figure(traces)
    lines = max(_lines(label) for label in labels.values())
    figure.update_layout(
        **_layout(
            f"{unit}: outcome by role, where both are stated",
            barmode="stack",
            height=max(300, (17 * lines + 18) * len(outcomes) + 190),
            uniformtext=dict(mode="hide", minsize=11),
            xaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True, tickformat=","),
            yaxis=dict(autorange="reversed", automargin=True),
            legend=KEY_UNDER,
        )
    )
    both = Figure.total(cells.values())
    total = view.headline["cases"]
    hatched = any(not f.complete for f in cells.values())
    caption = (
        f"{unit} whose outcome and role are both stated: {both.display} of {total.display}. "
        f"{_studies(view)} {SOURCE}"
        + (" Cross-hatched parts are partly known (at least N)." if hatched else "")
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
    """One mark per study, spanning its period: no line joins two studies. Nothing is written on
    the plot, so nothing there can overlap or be cut: each study's mark (its own shape and
    colour) is named in the legend under the chart with its period and value, "Parliament
    Street, 2019 (FY2017/18–FY2018/19): 237", which wraps to the chart's width."""
    dated = [
        p
        for p in points
        if p["study"].period_start and p["study"].period_end and p["figure"] and p["figure"].known
    ]
    if len(dated) < 2:
        return None
    unit = view.unit_label
    names = study_names([p["study"] for p in dated])
    traces = []
    for n, point in enumerate(dated):
        study, figure = point["study"], point["figure"]
        symbol, colour = STUDY_MARKS[n % len(STUDY_MARKS)]
        middle = study.period_start + (study.period_end - study.period_start) / 2
        period = period_text(study.period_label)
        traces.append(
            go.Scatter(
                # The period, start to end, then its middle for the study's mark: one study only.
                x=[study.period_start.isoformat(), study.period_end.isoformat()],
                y=[figure.value, figure.value],
                mode="lines",
                line=dict(color=colour, width=4, dash="solid" if figure.complete else "dot"),
                name=f"{names[study.id]} ({period}): {figure.display}",
                legendgroup=str(study.id),
                hovertext=f"{study.title} ({period}): {_phrase(view, figure)}",
                hoverinfo="text",
                showlegend=False,
            )
        )
        traces.append(
            go.Scatter(
                x=[middle.isoformat()],
                y=[figure.value],
                mode="markers",
                marker=dict(size=12, color=colour, symbol=symbol, line=dict(width=1, color="#ffffff")),
                cliponaxis=False,
                # Wrapped: a key entry stays inside a phone's chart.
                name=_wrapped(f"{names[study.id]} ({period}): {figure.display}", 34),
                legendgroup=str(study.id),
                hovertext=f"{study.title} ({period}): {_phrase(view, figure)}",
                hoverinfo="text",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        **_layout(
            f"{unit}, study by study, over each study's period",
            height=380 + 46 * len(dated),  # the key under it: a line or two a study, on a phone
            xaxis=dict(
                title="Period covered",
                gridcolor="#e5e5e5",
                type="date",
                tickformat="%Y",
                automargin=True,
                ticklabelstandoff=8,  # the first year clear of the y axis's "0"
            ),
            yaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True, tickformat=","),
            showlegend=True,
            legend=KEY_UNDER,
        )
    )
    hatched = any(not p["figure"].complete for p in dated)
    caption = (
        f"{unit} in each study, drawn across the period it covers, its value in the key. Studies ask "
        "different forces different questions, so the marks are not joined: compare within a study. "
        + ("Dotted: partly known (at least N). " if hatched else "")
        + f"{_studies(view)} {SOURCE}"
    )
    return Chart(_spec(figure), f"Chart over time: {unit.lower()} by study", caption, "trend")


def study_chart(view) -> Chart | None:
    """One force's counts in each study of one unit, oldest first (a force page): a bar per
    study, named with its year and period, whole."""
    rows = [r for r in view.rows if r.cases.known]
    if len(rows) < 2:
        return None
    rows = sorted(rows, key=lambda r: (r.foi_request.period_end is None, r.foi_request.period_end or 0))
    unit = view.unit_label
    names = study_names([r.foi_request for r in rows])
    labels = [
        f"{_wrapped(names[r.foi_request.id])}<br>({_wrapped(period_text(r.foi_request.period_label))})"
        for r in rows
    ]
    figure = go.Figure(
        go.Bar(
            y=labels,
            x=[r.cases.value for r in rows],
            orientation="h",
            marker=dict(
                color="#0b3d6b", pattern=dict(shape=["" if r.cases.complete else AT_LEAST for r in rows])
            ),
            text=[r.cases.display for r in rows],
            textposition="outside",
            cliponaxis=False,
            hovertext=[f"{r.name}, {r.foi_request.title}: {_phrase(view, r.cases)}" for r in rows],
            hoverinfo="text",
        )
    )
    lines = max(_lines(label) for label in labels)
    figure.update_layout(
        **_layout(
            f"{unit} in each study",
            right_text=[r.cases.display for r in rows],
            height=max(260, (17 * lines + 14) * len(rows) + 130),
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(title=unit, gridcolor="#e5e5e5", rangemode="tozero", automargin=True, tickformat=","),
        )
    )
    hatched = any(not r.cases.complete for r in rows)
    caption = (
        f"{unit} in each study that counts them. Bars are separate studies, not a series. "
        f"{_studies(view)} {SOURCE}" + (HATCHED if hatched else "")
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
