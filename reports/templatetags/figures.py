"""Template filters that show numbers the way Misuse Tracker promises: unknown is never zero."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

DASH_TITLE = "Not stated in the sources"


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
