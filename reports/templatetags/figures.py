"""Template filters that show numbers the way Misuse Tracker promises: unknown is never zero."""

from django import template
from django.http import QueryDict
from django.utils.html import format_html, format_html_join

from reports import wording
from reports.embeds import IFRAME_WIDTH, embed_path, iframe_height

register = template.Library()

DASH_TITLE = "Not stated in the sources"
FILTERED_TITLE = "Filtered out: the outcome filter leaves these cases out"


def _dash(title: str, spoken: str) -> str:
    # Sighted readers get a dash with a tooltip; screen readers hear what the dash means.
    return format_html(
        '<span class="dash" title="{}">—<span class="visually-hidden"> ({})</span></span>', title, spoken
    )


@register.filter
def count_or_dash(value):
    """A whole number with thousands separators, or an em dash with its meaning for None."""
    if value is None:
        return _dash(DASH_TITLE, DASH_TITLE.lower())
    return f"{value:,}"


@register.filter
def fig(figure):
    """A Figure from the engine: "1,234", "at least 1,234", or a dash that says what it means."""
    if figure is not None and figure.filtered_out:
        return _dash(FILTERED_TITLE, FILTERED_TITLE.lower())
    if figure is None or figure.value is None:
        return _dash(DASH_TITLE, DASH_TITLE.lower())
    return figure.display


@register.filter
def rate_cell(rate):
    """A rate per 1,000 headcount with what it is; a dash that says why where there is none."""
    if rate is None or rate.per_1000 is None:
        why = f"No rate: {rate.why_not}" if rate is not None else "No rate"
        return _dash(why, why[:1].lower() + why[1:])
    # Shown, not hovered: phones and keyboards reach no tooltip. The rate, then what it is.
    detail = f"headcount at {rate.headcount_date:%-d %b %Y}, over {_years_text(rate.years)}"
    if rate.per_1000_a_year is not None:
        detail = f"{rate.per_1000_a_year:.2f} a year; {detail}"
    return format_html(
        '<span class="rate" title="{}">{}</span> <span class="rate-detail">{}</span>',
        rate.description,
        rate.display,
        detail,
    )


def _years_text(years) -> str:
    if years is None:
        return "the study's period"
    return f"{years.normalize():f} year" + ("" if years == 1 else "s")


@register.filter
def number(value):
    """A workforce number: thousands separated, no trailing .00 (31,556; 5,219.82)."""
    if value is None:
        return _dash("Not available in the source", "not available in the source")
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


@register.filter
def rate_or_dash(value):
    if value is None:
        return _dash("Total or workforce unknown", "no rate: total or workforce unknown")
    return f"{value:.2f}"


@register.filter
def source_links(sources):
    """The publishers of the given sources, each linked to the published document."""
    return format_html_join(
        ", ",
        '<a href="{}" rel="noopener" title="{}">{}</a>',
        ((s.url, s.title, s.publisher) for s in sources),
    )


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes one)."""
    from reports import releases

    params = context["request"].GET.copy()
    if release := releases.active():
        params["release"] = release.number
    for name, value in changes.items():
        params.pop(name, None)
        if value is not None:
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.inclusion_tag("reports/_sort_header.html", takes_context=True)
def sort_header(context, key, label, numeric=True):
    current = context.get("sort", "-cases")
    active = current.lstrip("-") == key
    descending = current.startswith("-")
    # Numbers sort largest first on the first click; names A to Z.
    next_sort = (key if descending else f"-{key}") if active else (f"-{key}" if numeric else key)
    return {
        "request": context["request"],
        "label": label,
        "next_sort": next_sort,
        "numeric": numeric,
        "aria_sort": ("descending" if descending else "ascending") if active else None,
    }


@register.filter
def cases_or_at_least(row):
    return f"{row.cases:,}" if row.total_known else f"at least {row.cases:,}"


@register.filter
def lookup(mapping, key):
    return mapping.get(key, [])


@register.filter
def study_short(foi_request):
    """A study named by who asked and when, short enough for a table column."""
    if foi_request.requester:
        return f"{foi_request.requester.split(' (')[0]}, {foi_request.period_label}"
    return foi_request.title.split(":")[0]


@register.simple_tag(takes_context=True)
def export_query(context, query="", **extra):
    """A download's query string: `query` where given, else the page's filters without its page."""
    params = QueryDict(query, mutable=True) if query else context["request"].GET.copy()
    for name in ("page", "excel"):
        params.pop(name, None)
    for name, value in extra.items():
        params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""


@register.inclusion_tag("reports/_cite.html", takes_context=True)
def cite_this_view(context):
    from reports import releases
    from reports.permalinks import canonical_url, citations
    from reports.selectors import dataset_version

    request = context["request"]
    version = dataset_version()
    release = releases.active()
    live = release is None
    if live:
        release = releases.newest(version=version)
    pinned = canonical_url(request, release=release.number) if release else None
    return {
        "permalink": canonical_url(request),
        "version": version,
        "release": release,
        "live": live,
        "pinned": pinned,
        "citation": citations(release=release, url=pinned) if release else None,
        "changed_since": bool(release) and live and not releases.same_data(release, version),
    }


@register.filter
def lower_first(value):
    """Lower-case only the first letter, so a phrase reads mid-sentence and names keep theirs."""
    value = str(value)
    return value[:1].lower() + value[1:]


@register.inclusion_tag("reports/_chart_embed.html", takes_context=True)
def chart_embed(context, chart, id):
    """The <iframe> code that embeds `chart` elsewhere, sized for it, and its SVG image's address."""
    request = context["request"]
    src = request.build_absolute_uri(embed_path(chart.key, chart.embed_query))
    code = format_html(
        '<iframe src="{}" title="{}" width="{}" height="{}" style="width:100%;max-width:{}px;border:0" '
        'loading="lazy"></iframe>',
        src,
        f"{chart.name} — Misuse Tracker",
        IFRAME_WIDTH,
        iframe_height(chart),
        IFRAME_WIDTH,
    )
    return {
        "id": id,
        "code": code,
        "src": src,
        "svg": request.build_absolute_uri(embed_path(chart.key, chart.embed_query, svg=True)),
    }


@register.filter
def count_of(count, unit):
    """A count with its unit's noun, one or many: "1 person disciplined", "3 people disciplined"."""
    return wording.count_phrase(int(count), unit)


@register.filter
def period(label):
    """A period as the site writes it: ranges with an en dash ("FY2017/18–FY2018/19")."""
    return wording.period_text(label or "")
