"""Embeddable charts: one chart of the site, alone in another site's page, stating beside it what
makes it citable there — what is counted, the total, the period, the sources, the release or
dataset version, and the way back to the full view with the same filters.

The chart is the page's own (reports/charts.py `build`, from the one engine view), so an embed
can never disagree with the page it came from.
"""

import math
import re
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.urls import reverse

from reports import charts, engine, releases, selectors, wording
from reports.charts import Chart
from reports.permalinks import ordered_query
from reports.selectors import BadFilter

SYNTHETIC = "SYNTHETIC"


@dataclass(frozen=True)
class Embed:
    """One kind of embed: its chart, and the page that shows that chart with its tables."""

    key: str
    page: str = "dashboard"  # the full view's URL name
    anchor: str = ""  # where on the full view the chart (or its table) is
    sort: str | None = None  # None: the dashboard's `sort` parameter, as the page reads it


EMBEDS = {
    embed.key: embed
    for embed in (
        Embed("forces", anchor="chart-forces"),
        Embed("offences", anchor="chart-offences"),
        Embed("outcomes", anchor="chart-outcomes"),
        # The dashboard shows roles and systems as tables only: the full view opens at the table.
        Embed("roles", anchor="role-title"),
        Embed("systems", anchor="system-title"),
        Embed("outcome-roles", anchor="chart-outcome-roles"),
        Embed("trend", anchor="chart-trend"),
        # A force page's chart of one unit, study by study.
        Embed("studies", page="force-detail", sort="study"),
    )
}
# The filters the studies chart takes: the force page draws one per force and counting unit.
STUDIES_FILTERS = ("force", "unit")


@dataclass(frozen=True)
class Publisher:
    name: str
    sources: list  # its Source rows, each a link


@dataclass(frozen=True)
class EmbeddedChart:
    embed: Embed
    chart: Chart | None  # None: too few figures to draw (the page shows a sentence instead)
    view: engine.View
    query: str  # the filters, canonical, with the release: the embed's and the full view's
    full_path: str  # the full view, with the same filters, at the chart
    release: str | None
    dataset_version: str

    @property
    def unit(self) -> str:
        return self.view.unit_label.lower()

    @property
    def total(self) -> engine.Figure:
        return self.view.headline["cases"]

    @property
    def periods(self) -> str:
        return wording.studies_with_periods(self.view.studies) or "—"

    @property
    def publishers(self) -> list[Publisher]:
        """The publishers of the sources the chart's lines come from, each with its documents."""
        found = {}
        for row in self.view.rows:
            for source in row.sources:
                found.setdefault(source.publisher, {}).setdefault(source.url, source)
        return [
            Publisher(name, list(sources.values()))
            for name, sources in sorted(found.items(), key=lambda item: item[0].casefold())
        ]

    @property
    def synthetic(self) -> bool:
        """Made-up benchmark data (cases/synthetic.py) says so wherever it is shown."""
        return any(SYNTHETIC in study.title for study in self.view.studies) or any(
            p.name.startswith(SYNTHETIC) for p in self.publishers
        )

    @property
    def edition(self) -> str:
        """Which data: the citable release, or the live dataset's version."""
        if self.release:
            return f"Misuse Tracker release {self.release}"
        return f"Misuse Tracker, dataset version {self.dataset_version}"

    @property
    def title(self) -> str:
        """The chart's name where it stands alone (the iframe's title, the SVG's title)."""
        name = self.chart.name if self.chart else f"{self.view.unit_label or 'Figures'}: too few to chart"
        return (f"{SYNTHETIC}: " if self.synthetic else "") + name

    @property
    def svg_title(self) -> str:
        """The chart's own title (what is counted, by what), as the page's chart shows it."""
        title = self.chart.spec["layout"]["title"]["text"] if self.chart else self.title
        return (f"{SYNTHETIC}: " if self.synthetic and not title.startswith(SYNTHETIC) else "") + title

    @property
    def facts(self) -> str:
        """What the caption states beside the chart's own: unit, total, period and sources."""
        sources = ", ".join(p.name for p in self.publishers) or "—"
        return (
            f"Counted: {self.unit or '—'}. Total: {self.total.display}{self.overlap}. "
            f"Period: {self.periods}. Sources: {sources}."
        )

    @property
    def overlap(self) -> str:
        """Said after the total where its studies cover the same time (it may count one person twice)."""
        return (
            " (studies covering the same time: one person may be counted twice)"
            if self.view.overlapping_studies
            else ""
        )

    def caption_lines(self, full_url: str) -> list[str]:
        """The caption as lines of text (the SVG's), saying what the embed's caption says."""
        return [
            *([f"{SYNTHETIC} data, made up for testing: not real figures."] if self.synthetic else []),
            *([_without_buttons(self.chart.caption)] if self.chart else []),
            self.facts,
            f"{self.edition}. The full view, with its tables and downloads: {full_url}",
        ]

    @property
    def path(self) -> str:
        return embed_path(self.embed.key, self.query)

    @property
    def svg_path(self) -> str:
        return embed_path(self.embed.key, self.query, svg=True)


def _without_buttons(caption: str) -> str:
    """A caption for an image, which has no buttons to switch its view."""
    return " ".join(part for part in re.split(r"(?<=\.) ", caption) if "button" not in part)


def embed_path(key: str, query: str, *, svg: bool = False) -> str:
    path = reverse("embed-svg", args=[key]) if svg else reverse("embed", args=[key])
    return path + (f"?{query}" if query else "")


def with_release(query: str) -> str:
    """A query string that keeps the release the request reads (the middleware has taken it out
    of request.GET), so an embed or link cut from a release shows that release for good."""
    release = releases.active()
    if release is None:
        return query
    return "&".join(part for part in (query, urlencode({"release": release.number})) if part)


def _studies_params(params) -> None:
    """The studies chart draws one force's studies: refuse what its page would not show."""
    messages = [
        f"'{name}' is not a filter of this chart. Its filters: {', '.join(STUDIES_FILTERS)}."
        for name in sorted(set(params) - set(STUDIES_FILTERS))
    ]
    if len(params.getlist("force")) != 1:
        messages.append("Force ('force'): this chart shows one force's studies: give one force.")
    if messages:
        raise BadFilter(messages)


def embedded_chart(*, key: str, params) -> EmbeddedChart:
    """The chart `key` of the view the filters in `params` select, with its caption's facts.

    BadFilter, with the pages' own messages, for a filter the page would refuse."""
    embed = EMBEDS[key]
    if key == "studies":
        _studies_params(params)
    sort = embed.sort or params.get("sort", "-cases")
    found = selectors.analysis(params=params, sort=sort)
    view = found.view
    pairs = [(name, value) for name, values in params.lists() for value in values]
    query = with_release(ordered_query(pairs, page="dashboard"))
    chart = charts.build(key, view)
    if chart is not None:
        chart = replace(chart, embed_query=query)
    if embed.page == "force-detail":
        force = found.filterset.form.cleaned_data["force"][0]
        release_query = with_release("")
        full_path = (
            reverse("force-detail", args=[force.slug])
            + (f"?{release_query}" if release_query else "")
            + (f"#unit-{view.unit}" if view.unit else "")
        )
    else:
        full_path = reverse(embed.page) + (f"?{query}" if query else "") + f"#{embed.anchor}"
    release = releases.active()
    return EmbeddedChart(
        embed=embed,
        chart=chart,
        view=view,
        query=query,
        full_path=full_path,
        release=release.number if release else None,
        dataset_version=selectors.page_version.get() or selectors.dataset_version(),
    )


def offered(chart: Chart | None, params) -> Chart | None:
    """A page's chart with its embed's filters (`params`: a QueryDict or a dict), so the page can
    offer the <iframe> code under it (templates/reports/_chart_embed.html)."""
    if chart is None or chart.key not in EMBEDS:
        return chart
    items = params.lists() if hasattr(params, "lists") else ((k, [v]) for k, v in params.items())
    pairs = [(name, value) for name, values in items for value in values]
    return replace(chart, embed_query=with_release(ordered_query(pairs, page="dashboard")))


# --- The <iframe> code offered under each chart ------------------------------------------------

IFRAME_WIDTH = 720  # px: a column of an article; the frame narrows with a phone's screen
CAPTION_CHARS_PER_LINE = 95  # at the embed's 14 px on 720 px
CAPTION_LINE_HEIGHT = 20


def iframe_height(chart: Chart) -> int:
    """A frame tall enough for the chart, its switch and its caption on a 720 px column."""
    chart_height = chart.spec.get("layout", {}).get("height") or 450
    switch = 48 if chart.views else 0
    # The chart's own caption, and the facts line (unit, total, period, sources, the way back).
    lines = math.ceil(len(chart.caption) / CAPTION_CHARS_PER_LINE) + 4
    return int(chart_height + switch + lines * CAPTION_LINE_HEIGHT + 48)
