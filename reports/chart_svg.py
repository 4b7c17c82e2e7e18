"""A chart as a static SVG image, drawn on the server without a browser, for print and for readers
without JavaScript.

Drawn with matplotlib from the very Plotly figure the page draws (reports/charts.py): the same
bars, values, labels and hatching of partly known ("at least") totals, in the chart's first view.
Text stays text (svg.fonttype "none"): it can be read, searched and copied, and matplotlib
escapes it, so a label holding markup is shown as that text. Mathtext is off: a "$" in a label is
a dollar sign. Plotly's own static export (kaleido) needs a Chrome on the server; this does not.
"""

import io
import textwrap
from datetime import date

from django.utils.html import escape

CHART_WIDTH = 7.2  # inches at 100 dpi: the 720 px the embed's iframe code suggests
DPI = 100
INK, MUTED, GRID = "#1b1b1b", "#4a4a4a", "#e5e5e5"
# Plotly's pattern shapes as matplotlib hatches (reports/charts.py SERIES_STYLES, "x": at least).
HATCHES = {"": None, "x": "xxx", "/": "///", ".": "...", "\\": "\\\\\\"}
RC = {
    "svg.fonttype": "none",  # text as <text>, not glyph paths
    "svg.hashsalt": "misuse-tracker",  # the same chart gives the same bytes (ids are hashes)
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.size": 10,
    "text.color": INK,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "hatch.color": "#ffffff",
    "hatch.linewidth": 0.8,
}


def _thousands(value, _position) -> str:
    """A value axis's tick as the page writes numbers: "1,500", "0.5"."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,g}"


def _formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(_thousands)


def _lines(label) -> str:
    """A Plotly label (lines joined by <br>) as matplotlib's lines."""
    return str(label).replace("<br>", "\n")


def _shown(spec: dict) -> list[dict]:
    """The traces the chart shows first (a rate view, switched to by a button, is not drawn)."""
    return [trace for trace in spec.get("data", []) if trace.get("visible", True) is True]


def _each(value, count: int) -> list:
    return list(value) if isinstance(value, list) else [value] * count


def _bars(axes, traces: list[dict], layout: dict) -> None:
    horizontal = traces[0].get("orientation") == "h"
    stacked = layout.get("barmode") == "stack"
    categories = list(dict.fromkeys(label for t in traces for label in (t["y"] if horizontal else t["x"])))
    position = {label: i for i, label in enumerate(categories)}
    base = [0.0] * len(categories)
    width = 0.8 / (1 if stacked else len(traces))
    largest = max((v for t in traces for v in (t["x"] if horizontal else t["y"]) if v is not None), default=0)
    sums = [0.0] * len(categories)
    for trace in traces:
        labels, values = (trace["y"], trace["x"]) if horizontal else (trace["x"], trace["y"])
        for label, value in zip(labels, values, strict=True):
            sums[position[label]] += value or 0
    largest_stack = max(sums, default=0) if stacked else largest
    for n, trace in enumerate(traces):
        labels = trace["y"] if horizontal else trace["x"]
        values = trace["x"] if horizontal else trace["y"]
        marker = trace.get("marker", {})
        colours = _each(marker.get("color", INK), len(values))
        shapes = _each(marker.get("pattern", {}).get("shape", ""), len(values))
        texts = _each(trace.get("text"), len(values))
        bar_labelled = False
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            if value is None:  # not known: left out, never drawn as zero
                continue
            at = position[label] + (0 if stacked else (n - (len(traces) - 1) / 2) * width)
            start = base[position[label]] if stacked else 0
            draw = axes.barh if horizontal else axes.bar
            (bar,) = draw(
                at,
                value,
                width if not horizontal else width,
                start,
                color=colours[i],
                hatch=HATCHES.get(shapes[i]),
                edgecolor="#ffffff" if shapes[i] else colours[i],
                linewidth=0,
                label=None if bar_labelled else _lines(trace.get("name", "")) or None,
            )
            bar_labelled = True
            bar.set_gid(f"bar-{n}-{i}")
            if stacked:
                base[position[label]] += value
            text = texts[i] if texts[i] is not None else (f"{value:,}" if stacked else None)
            if text is None:
                continue
            if stacked:
                # A part too short to hold its value is left unwritten, as the page leaves it
                # (uniformtext "hide"): its value is in the table and the page's hover.
                if value < largest_stack * (0.04 + 0.011 * len(text)):
                    continue
                ink = _each((trace.get("textfont") or {}).get("color", "#ffffff"), len(values))[i]
                axes.text(
                    start + value / 2 if horizontal else at,
                    at if horizontal else start + value / 2,
                    text,
                    ha="center",
                    va="center",
                    color=ink,
                    fontsize=8,
                    gid=f"value-{n}-{i}",
                    bbox=dict(facecolor=colours[i], edgecolor="none", pad=1) if shapes[i] else None,
                )
            elif horizontal:
                axes.text(value, at, f" {text}", ha="left", va="center", gid=f"value-{n}-{i}")
            else:
                axes.text(at, value, text, ha="center", va="bottom", gid=f"value-{n}-{i}")
    (axes.xaxis if horizontal else axes.yaxis).set_major_formatter(_formatter())
    ticks = [_lines(label) for label in categories]
    if horizontal:
        axes.set_yticks(range(len(categories)), ticks)
        axes.invert_yaxis()  # the first bar at the top, as the page draws it
        axes.set_xlim(0, largest_stack * (1.05 if stacked else 1.25) or 1)  # room for "at least N"
        axes.xaxis.grid(True, color=GRID)
    else:
        axes.set_xticks(
            range(len(categories)), ticks, rotation=-30 if stacked else 0, ha="left" if stacked else "center"
        )
        axes.set_ylim(0, (max(base) if stacked else largest) * 1.15 or 1)
        axes.yaxis.grid(True, color=GRID)
    if len(traces) > 1 and any(t.get("name") for t in traces):
        if stacked:  # under the chart, as the page draws it, never over a bar
            axes.legend(loc="upper left", ncol=len(traces), frameon=False).set_gid(KEY)
        else:
            axes.legend(loc="upper right", frameon=False)


MARKERS = {
    "circle": "o",
    "square": "s",
    "diamond": "D",
    "triangle-up": "^",
    "triangle-down": "v",
    "cross": "P",
    "star": "*",
    "hexagon": "h",
}


def _periods(axes, traces: list[dict]) -> None:
    """One mark per study across the period it covers, never joined (reports/charts.py over_time):
    its line from start to end, its mark in the middle, and the key under the chart naming each
    study with its period and value, as the page's legend does. Nothing written on the plot."""
    from matplotlib import dates

    largest = max(v for t in traces for v in t["y"] if v is not None)
    n = 0
    for trace in traces:
        if trace.get("mode") == "lines":
            start, end = (date.fromisoformat(x) for x in trace["x"])
            value = trace["y"][0]
            line = trace.get("line", {})
            axes.plot(
                [start, end],
                [value, value],
                color=line.get("color", INK),
                linewidth=3,
                linestyle=":" if line.get("dash") == "dot" else "-",
                gid=f"period-{n}",
            )
            continue
        marker = trace.get("marker", {})
        axes.plot(
            [date.fromisoformat(trace["x"][0])],
            trace["y"],
            linestyle="none",
            marker=MARKERS.get(marker.get("symbol"), "o"),
            markersize=8,
            color=marker.get("color", INK),
            markeredgecolor="#ffffff",
            label=_lines(trace.get("name", "")),
            gid=f"bar-{n}-0",
        )
        n += 1
    axes.xaxis.set_major_formatter(dates.DateFormatter("%Y"))
    axes.yaxis.set_major_formatter(_formatter())
    axes.set_ylim(0, largest * 1.15)
    axes.yaxis.grid(True, color=GRID)
    legend = axes.legend(loc="upper left", ncol=1, frameon=False, fontsize=8)
    legend.set_gid(KEY)
    for i, text in enumerate(legend.get_texts()):
        text.set_gid(f"value-{i}-0")


KEY = "key"  # a legend drawn under the chart (placed there once the axis is laid out)


def _under_axis(figure, axes):
    """The artist the caption is written under: the key, moved below the axis labels, if any."""
    legend = axes.get_legend()
    if legend is None or legend.get_gid() != KEY:
        return axes.xaxis.label
    figure.draw_without_rendering()
    bottom = axes.get_tightbbox().y0
    _, y = axes.transAxes.inverted().transform((0, bottom))
    legend.set_bbox_to_anchor((0, y - 0.02), transform=axes.transAxes)
    return legend


def _axis_title(layout: dict, axis: str) -> str:
    title = layout.get(axis, {}).get("title")
    return (title.get("text") if isinstance(title, dict) else title) or ""


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))


def chart_svg(*, spec: dict | None, title: str, lines: list[str], name: str) -> bytes:
    """The figure `spec` (None: a chart too small to draw) as SVG, titled `title`, with the lines
    that must travel with it (unit, period, sources, where it comes from) written beneath."""
    # Imported here, not with the module: a worker that never draws an SVG never loads matplotlib.
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context(RC):
        layout = (spec or {}).get("layout", {})
        height = (layout.get("height") or 380) / DPI
        figure = Figure(figsize=(CHART_WIDTH, height), dpi=DPI)
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        traces = _shown(spec) if spec else []
        if not traces:
            axes.set_axis_off()
            axes.text(
                0.5,
                0.5,
                "Too few figures in this view to draw a chart.",
                ha="center",
                transform=axes.transAxes,
            )
        elif traces[0].get("type") == "bar":
            _bars(axes, traces, layout)
        else:
            _periods(axes, traces)
        if traces:
            axes.set_xlabel(_wrap(_axis_title(layout, "xaxis"), 80))
            axes.set_ylabel(_wrap(_axis_title(layout, "yaxis"), 40))
            for side in ("top", "right"):
                axes.spines[side].set_visible(False)
            axes.set_axisbelow(True)
        axes.set_title(_wrap(title, 70), loc="left", fontsize=12, fontweight="bold", pad=12)
        caption = "\n".join(_wrap(line, 110) for line in lines)
        # Below the axis title (placed under the tick labels when drawn); the tight box takes in
        # the caption and every label whole.
        anchor = _under_axis(figure, axes) if traces else axes.xaxis.label
        axes.annotate(
            caption,
            xy=(0, 0),
            xycoords=("axes fraction", anchor),
            xytext=(0, -12),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8,
            color=MUTED,
            gid="caption",
        )
        out = io.BytesIO()
        figure.savefig(out, format="svg", bbox_inches="tight", pad_inches=0.15, metadata={"Date": None})
    return _titled(out.getvalue(), name)


def _titled(svg: bytes, name: str) -> bytes:
    """An accessible name for the image: role="img" and a <title>, escaped like every text in it."""
    text = svg.decode()
    opening = text.index("<svg")
    close = text.index(">", opening)
    return (
        text[:close]
        + ' role="img" aria-labelledby="chart-title"'
        + text[close : close + 1]
        + f'\n <title id="chart-title">{escape(name)}</title>'
        + text[close + 1 :]
    ).encode()
