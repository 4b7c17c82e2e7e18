"""Permalinks: each view has one clean address, so a link says only what the view is.

The canonical address of a view has no empty parameter (`?q=&year_from=` says nothing) and its
parameters in a stable order: the order the page's form lists them, then the presentation ones
(sort, page), each parameter's values sorted, so every spelling of one view (which the page cache
already treats as one page) is cited as one address. A GET holding an empty parameter is
redirected (302) to the canonical address before the page cache sees it, so a form sent without
JavaScript gives a clean link too; other spellings are served as they are, and cite the canonical
address ("Cite this view").
"""

from functools import wraps
from urllib.parse import parse_qsl, urlencode

from django.http import HttpResponseRedirect

from reports.engine import FACETS
from reports.filters import PRESENTATION_PARAMS, FigureFilter

# The order of the filter form on the dashboard and the case lines (templates/reports/_facets.html).
CASE_LINE_ORDER = ("q", "year_from", "year_to", *FACETS, "sort", "page")
FIGURE_ORDER = (*FigureFilter.base_filters, "page")
ORDERS = {"dashboard": CASE_LINE_ORDER, "case-lines": CASE_LINE_ORDER, "figures": FIGURE_ORDER}


def canonical_query(request) -> str:
    """The request's query string as the view's canonical address spells it ("" for none)."""
    match = request.resolver_match
    pairs = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    return ordered_query(pairs, page=match.url_name if match else None)


def ordered_query(pairs, *, page: str | None) -> str:
    """Parameters (name, value) as the canonical address of `page` (a URL name) spells them."""
    order = ORDERS.get(page, ())
    rank = {name: index for index, name in enumerate(order)}
    pairs = [(name, value) for name, value in pairs if value.strip()]
    # Names outside the form's order (refused by the view with a 400) go last, by name.
    return urlencode(sorted(pairs, key=lambda pair: (rank.get(pair[0], len(order)), pair[0], pair[1])))


def canonical_url(request, *, release: str | None = None) -> str:
    """The absolute canonical address of the request's view: its permalink; with `release`, the
    same view pinned to that release (its `release=` last, replacing any the address holds)."""
    query = canonical_query(request)
    if release is not None:
        pairs = [pair for pair in parse_qsl(query) if pair[0] != "release"] + [("release", release)]
        query = urlencode(pairs)
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


TITLE = "UK police discipline for misusing force IT"


def citations(*, release, url: str) -> dict:
    """A ready citation of `url` (a view or file of `release`): APA 7 (a data set) and BibTeX."""
    year = release.cut_local.year
    key = "misusetracker" + release.number.replace(".", "_")
    bibtex = "\n".join(
        [
            f"@misc{{{key},",
            "  author       = {{Misuse Tracker}},",
            f"  title        = {{{TITLE}}},",
            f"  year         = {{{year}}},",
            f"  version      = {{{release.number}}},",
            "  publisher    = {Misuse Tracker},",
            "  howpublished = {Data set},",
            f"  url          = {{{url}}},",
            f"  note         = {{Release {release.number}, cut {release.cut_local:%Y-%m-%d}}}",
            "}",
        ]
    )
    return {
        "apa_author": f"Misuse Tracker. ({year}).",
        "apa_title": TITLE,
        "apa_rest": f"(Release {release.number}) [Data set]. {url}",
        "apa": f"Misuse Tracker. ({year}). {TITLE} (Release {release.number}) [Data set]. {url}",
        "bibtex": bibtex,
    }


def clean_address(view):
    """Redirect a GET holding an empty parameter to the view's canonical address."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method in ("GET", "HEAD"):
            given = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
            if any(not value.strip() for _, value in given):
                query = canonical_query(request)
                return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
        return view(request, *args, **kwargs)

    return wrapped


def active_filters(params) -> int:
    """How many filter values the address sets ("Filters (3 active)"). What is counted is not
    a filter here: the page's heading names it, and every view has one."""
    return sum(
        1
        for name, values in params.lists()
        if name not in PRESENTATION_PARAMS and name != "unit"
        for value in values
        if value.strip()
    )
