"""Plotly figures built on the server from selector results; pages embed them with json_script.

Colours step in lightness and bars carry fill patterns, so every series stays distinguishable
in greyscale and for colour-blind readers. A value that is not known is left out of a chart,
never drawn as zero.
"""

import json

import plotly.graph_objects as go

from cases.models import Outcome, Role

# Dark to light, each a distinct grey when desaturated; patterns add a second cue.
SERIES_STYLES = [
    ("#0b3d6b", ""),
    ("#3b7dc4", "/"),
    ("#8fb8e8", "."),
    ("#c9782b", "x"),
    ("#d9d9d9", "-"),
]
ROLE_ORDER = [Role.OFFICER, Role.STAFF, Role.PCSO, Role.SPECIAL, Role.NOT_STATED]
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13, color="#1b1b1b")


def _layout(title: str, **extra) -> dict:
    return dict(
        title=dict(text=title, x=0, xanchor="left"),
        font=FONT,
        margin=dict(l=10, r=10, t=60, b=10),
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        hoverlabel=dict(font=FONT),
        **extra,
    )


def _cases_text(row, what: str) -> str:
    unit = row.foi_request.counting_unit if row.foi_request else "cases"
    return f"{what}: {'' if row.total_known else 'at least '}{row.cases:,} {unit}"


def _spec(figure: go.Figure) -> dict:
    # plotly's own encoder turns numpy and Decimal values into plain JSON numbers.
    return json.loads(figure.to_json())


def force_bar(rows) -> dict:
    """Cases per force, switchable to cases per 1,000 workforce; partly known forces hatched."""
    named = [r for r in rows if r.force is not None]
    several_studies = len({r.foi_request.id for r in named if r.foi_request}) > 1
    labels = [
        f"{r.force.short_name} ({r.foi_request.title[:28]}…)" if several_studies else r.force.short_name
        for r in named
    ]
    count = go.Bar(
        name="Cases",
        y=labels,
        x=[r.cases for r in named],
        orientation="h",
        marker=dict(color="#0b3d6b", pattern=dict(shape=["" if r.total_known else "x" for r in named])),
        hovertext=[_cases_text(r, r.name) for r in named],
        hoverinfo="y+text",
    )
    with_rate = [(label, r) for label, r in zip(labels, named, strict=True) if r.rate is not None]
    rate = go.Bar(
        name="Cases per 1,000 workforce",
        y=[label for label, _ in with_rate],
        x=[float(r.rate) for _, r in with_rate],
        orientation="h",
        marker=dict(color="#3b7dc4", pattern=dict(shape="/")),
        hovertext=[f"{r.rate} per 1,000 (headcount at {r.workforce.date:%d %b %Y})" for _, r in with_rate],
        hoverinfo="y+text",
        visible=False,
    )
    figure = go.Figure([count, rate])
    figure.update_layout(
        **_layout(
            "Cases by force",
            height=max(300, 28 * len(named) + 120),
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(title="Cases", gridcolor="#e5e5e5", rangemode="tozero"),
            showlegend=False,
            updatemenus=[
                dict(
                    type="buttons",
                    direction="right",
                    x=1,
                    xanchor="right",
                    y=1.12,
                    buttons=[
                        dict(
                            label="Cases",
                            method="update",
                            args=[
                                {"visible": [True, False]},
                                {"title.text": "Cases by force", "xaxis.title.text": "Cases"},
                            ],
                        ),
                        dict(
                            label="Per 1,000 workforce",
                            method="update",
                            args=[
                                {"visible": [False, True]},
                                {
                                    "title.text": "Cases per 1,000 workforce, by force",
                                    "xaxis.title.text": "Cases per 1,000 workforce (headcount)",
                                },
                            ],
                        ),
                    ],
                )
            ],
        )
    )
    return _spec(figure)


def breakdown_bar(rows: list[dict], title: str, axis_title: str) -> dict:
    figure = go.Figure(
        go.Bar(
            y=[row["label"] for row in rows],
            x=[row["cases"] for row in rows],
            orientation="h",
            marker=dict(color="#0b3d6b"),
            hovertemplate="%{y}: %{x} cases<extra></extra>",
        )
    )
    figure.update_layout(
        **_layout(
            title,
            height=max(260, 30 * len(rows) + 110),
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(title=axis_title, gridcolor="#e5e5e5", rangemode="tozero"),
        )
    )
    return _spec(figure)


def outcome_mix(cells: list[dict]) -> dict:
    """Outcomes stacked by role, most severe outcome first."""
    outcomes = [o for o in Outcome.values if any(c["outcome"] == o for c in cells)]
    traces = []
    for role, (colour, pattern) in zip(ROLE_ORDER, SERIES_STYLES, strict=True):
        by_outcome = {c["outcome"]: c["cases"] for c in cells if c["role"] == role}
        if not by_outcome:
            continue
        traces.append(
            go.Bar(
                name=Role(role).label,
                x=[Outcome(o).label for o in outcomes],
                y=[by_outcome.get(o) for o in outcomes],
                marker=dict(color=colour, pattern=dict(shape=pattern), line=dict(color="#1b1b1b", width=0.5)),
                hovertemplate=f"{Role(role).label}, %{{x}}: %{{y}} cases<extra></extra>",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        **_layout(
            "Outcomes, by officer and staff",
            barmode="stack",
            height=420,
            yaxis=dict(title="Cases", gridcolor="#e5e5e5", rangemode="tozero"),
            xaxis=dict(automargin=True),
            legend=dict(orientation="h", y=-0.35),
        )
    )
    return _spec(figure)


def trend_line(points: list[dict]) -> dict:
    dated = [p for p in points if p["foi_return__request__period_end"]]
    figure = go.Figure(
        go.Scatter(
            x=[p["foi_return__request__period_end"].isoformat() for p in dated],
            y=[p["cases"] for p in dated],
            mode="lines+markers",
            marker=dict(size=10, color="#0b3d6b", symbol="circle"),
            line=dict(color="#3b7dc4", dash="dot"),
            text=[
                f"{p['foi_return__request__title']}<br>{p['foi_return__request__period_label']}: "
                f"{p['cases']} {p['foi_return__request__counting_unit']}"
                for p in dated
            ],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        **_layout(
            "Cases held, by study, at the end of each study's period",
            height=360,
            xaxis=dict(title="End of the period covered", gridcolor="#e5e5e5", type="date", tickformat="%Y"),
            yaxis=dict(title="Cases (each study's own unit)", gridcolor="#e5e5e5", rangemode="tozero"),
        )
    )
    return _spec(figure)


def study_bar(rows) -> dict:
    """One force's cases in each study, oldest first; partly known totals hatched."""
    ordered = sorted(rows, key=lambda r: (r.foi_request.period_end is None, r.foi_request.period_end or 0))
    figure = go.Figure(
        go.Bar(
            x=[
                f"{r.foi_request.period_label}<br>{r.foi_request.requester or 'requester not stated'}"
                for r in ordered
            ],
            y=[r.cases for r in ordered],
            marker=dict(color="#0b3d6b", pattern=dict(shape=["" if r.total_known else "x" for r in ordered])),
            hovertext=[_cases_text(r, r.foi_request.title) for r in ordered],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        **_layout(
            "Cases in each study",
            height=360,
            yaxis=dict(title="Cases (each study's own unit)", gridcolor="#e5e5e5", rangemode="tozero"),
            xaxis=dict(automargin=True),
        )
    )
    return _spec(figure)
