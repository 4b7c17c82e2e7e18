"""Embeddable charts: /embed/<chart>/ shows one chart of the site with a caption an article can
cite (unit, total, period, sources, the way back), /embed/<chart>.svg draws it without a browser,
and only these two may be framed by other sites."""

import json
import re
from html import unescape

import pytest
from defusedxml import ElementTree

from cases.models import FoiRequest
from forces.models import Force

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
PS_2019 = "study=parliament-street-2019"
PS_SOURCES = "Blackmere Consulting, IGCTS, ITPro, The Commentator, The Register"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def chart_data(html: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no chart data {element_id}"
    return json.loads(found.group(1))


def svg_texts(svg: bytes) -> dict[str, list[str]]:
    """The text of each group the renderer names (value-<trace>-<bar>, caption), and all text."""
    root = ElementTree.fromstring(svg)
    texts = {"all": [t.text or "" for t in root.iter(f"{SVG}text")]}
    for group in root.iter(f"{SVG}g"):
        if group.get("id", "").startswith(("value-", "caption")):
            texts[group.get("id")] = [t.text or "" for t in group.iter(f"{SVG}text")]
    return texts


@pytest.fixture
def get(client, django_assert_max_num_queries):
    def get(url: str, status: int = 200, max_queries: int = 10):
        with django_assert_max_num_queries(max_queries):
            response = client.get(url)
        assert response.status_code == status, response.content[:500]
        return response

    return get


# --- The caption -------------------------------------------------------------------------------


def test_embed_caption_states_unit_total_period_sources_and_the_way_back(get):
    response = get(f"/embed/forces/?{PS_2019}")
    page = response.content.decode()
    version = response["X-Dataset-Version"]
    facts = re.search(r'<p id="embed-facts">(.*?)</p>', page, re.S).group(1)
    assert text(facts) == (
        f"Counted: people disciplined. Total: 237. Period: Parliament Street, 2019 (FY2017/18–FY2018/19). Sources: {PS_SOURCES}."
    )
    # Each publisher is a link to its published document.
    assert (
        '<a href="https://www.theregister.com/2019/11/11/police_database_security/" target="_blank"' in facts
    )
    back = re.search(r'<p id="embed-from">(.*?)</p>', page, re.S).group(1)
    assert text(back) == (
        f"Misuse Tracker, dataset version {version}: the full view, with its tables and downloads. Image (SVG)"
    )
    assert (
        '<a href="http://testserver/dashboard/?study=parliament-street-2019#chart-forces" target="_blank" '
        'rel="noopener">' in back
    )
    # The chart's own caption, the page's, comes first.
    assert (
        "<p>People disciplined, by force. Study: Parliament Street, 2019 (FY2017/18–FY2018/19). Source: the "
        "case lines of each study, from its published sources." in page
    )
    assert "<title>Bar chart: people disciplined by force — Misuse Tracker</title>" in page


def test_embed_is_the_chart_alone(get):
    page = get(f"/embed/forces/?{PS_2019}").content.decode()
    # No site header, menu, filters, tables or footer: the chart, its caption, its two scripts.
    for absent in ('class="site-header"', "<nav", "<form", "<table", "site-footer", "site.css", "site.js"):
        assert absent not in page
    assert re.findall(r'<script src="([^"]+)"', page) == [
        "/static/vendor/plotly/plotly-basic-4.1.1.min.js",
        "/static/js/charts.js",
    ]
    assert '<link rel="stylesheet" href="/static/css/embed.css">' in page
    # Without JavaScript, the SVG drawing of the same chart.
    assert (
        '<noscript><img class="chart-image" src="/embed/forces.svg?study=parliament-street-2019" '
        'alt="Bar chart: people disciplined by force. Its figures are in the full view, linked below.">'
        "</noscript>" in page
    )
    assert len(page.encode()) < 16_000


def test_embed_caption_names_the_release_and_keeps_it(get):
    from reports.releases import release_cut

    live = get(f"/embed/forces/?{PS_2019}").content.decode()  # cached: a release is another page
    assert "release" not in live
    release_cut(note="For the embeds.", number="2026.11.1", site_url="http://testserver")
    page = get(f"/embed/forces/?{PS_2019}&release=2026.11.1").content.decode()
    assert text(re.search(r'<p id="embed-from">(.*?)</p>', page, re.S).group(1)).startswith(
        "Misuse Tracker release 2026.11.1: the full view"
    )
    assert (
        'href="http://testserver/dashboard/?study=parliament-street-2019&amp;release=2026.11.1#chart-forces"'
        in page
    )
    assert 'src="/embed/forces.svg?study=parliament-street-2019&amp;release=2026.11.1"' in page
    dashboard = get(f"/dashboard/?{PS_2019}&release=2026.11.1").content.decode()
    assert "/embed/forces/?study=parliament-street-2019&amp;amp;release=2026.11.1" in dashboard


def test_force_page_chart_embed_goes_back_to_the_force_page(get):
    page = get("/embed/studies/?force=merseyside&unit=people_disciplined").content.decode()
    facts = text(re.search(r'<p id="embed-facts">(.*?)</p>', page, re.S).group(1))
    assert facts == (
        "Counted: people disciplined. Total: at least 408 (studies covering the same time: one person may be "
        "counted twice). Period: Telegraph FOI, 2011 (2008–2009); Big Brother Watch, 2011 (2007–2010); "
        "Parliament Street, 2019 (FY2017/18–FY2018/19). Sources: Absolute Data, Big Brother Watch (via Scribd), "
        "Hartlepool Mail, The Register."
    )
    assert 'href="http://testserver/forces/merseyside/#unit-people_disciplined"' in page


def test_synthetic_data_is_titled_synthetic(get):
    FoiRequest.objects.filter(slug="parliament-street-2019").update(title="SYNTHETIC study: made up")
    page = get(f"/embed/forces/?{PS_2019}").content.decode()
    assert '<p class="embed-synthetic" id="embed-synthetic"><strong>SYNTHETIC</strong> data' in page
    assert "<title>SYNTHETIC: Bar chart: people disciplined by force — Misuse Tracker</title>" in page
    svg = svg_texts(get(f"/embed/forces.svg?{PS_2019}").content)
    assert "SYNTHETIC: People disciplined, by force" in svg["all"]


# --- The same chart as the page's ------------------------------------------------------------


@pytest.mark.parametrize("key", ["forces", "offences", "outcomes", "outcome-roles", "trend"])
@pytest.mark.parametrize("query", ["", PS_2019, "force=surrey&force=metropolitan&sort=force"])
def test_embed_draws_the_dashboards_chart(get, key, query):
    dashboard = get(f"/dashboard/?{query}", max_queries=15).content.decode()
    embed = get(f"/embed/{key}/?{query}").content.decode()
    if f'id="chart-{key}-data"' not in dashboard:
        assert "Too few figures in this view to draw a chart" in embed
        return
    assert chart_data(embed, f"chart-{key}-data") == chart_data(dashboard, f"chart-{key}-data")


def test_embed_draws_the_request_pages_chart(get):
    request_page = get("/requests/parliament-street-2019/", max_queries=15).content.decode()
    embed = get(f"/embed/forces/?{PS_2019}").content.decode()
    assert chart_data(embed, "chart-forces-data") == chart_data(request_page, "chart-forces-data")


@pytest.mark.parametrize("force", ["merseyside", "surrey", "west-yorkshire"])
def test_embed_draws_the_force_pages_charts(get, force):
    force_page = get(f"/forces/{force}/", max_queries=15).content.decode()
    units = re.findall(r'id="chart-([a-z_]+)-studies-data"', force_page)
    for unit in units:
        embed = get(f"/embed/studies/?force={force}&unit={unit}").content.decode()
        assert chart_data(embed, "chart-studies-data") == chart_data(force_page, f"chart-{unit}-studies-data")


# --- The SVG ---------------------------------------------------------------------------------


def test_svg_has_the_pages_numbers_labels_and_caption(get):
    response = get(f"/embed/forces.svg?{PS_2019}")
    assert response["Content-Type"] == "image/svg+xml"
    svg = svg_texts(response.content)
    page = get(f"/embed/forces/?{PS_2019}").content.decode()
    bars = chart_data(page, "chart-forces-data")["data"][0]
    # The values written beside the bars are the page's, "at least" marks and all.
    values = [svg[f"value-0-{i}"][0].strip() for i in range(len(bars["x"]))]
    assert values == bars["text"]
    assert values[:6] == ["50", "18", "17", "16", "16", "at least 9"]
    for label in bars["y"]:
        assert label in svg["all"]
    # The rate view (shown by a button on the page) is not drawn.
    assert not any(key.startswith("value-1-") for key in svg)
    assert "People disciplined, by force" in svg["all"]
    caption = " ".join(svg["caption"])
    assert "FY2017/18–FY2018/19" in caption
    assert "Counted: people disciplined. Total: 237." in caption
    assert f"Sources: {PS_SOURCES}." in caption
    assert "http://testserver/dashboard/?study=parliament-street-2019#chart-forces" in caption
    assert "button" not in caption
    root = ElementTree.fromstring(response.content)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Bar chart: people disciplined by force"


@pytest.mark.parametrize("key", ["offences", "outcomes", "roles", "systems"])
def test_svg_of_a_breakdown_has_its_values(get, key):
    page = get(f"/embed/{key}/").content.decode()
    bars = chart_data(page, f"chart-{key}-data")["data"][0]
    svg = svg_texts(get(f"/embed/{key}.svg").content)
    assert [svg[f"value-0-{i}"][0].strip() for i in range(len(bars["x"]))] == bars["text"]


@pytest.mark.parametrize("key", ["outcome-roles", "trend", "studies"])
def test_every_chart_has_an_svg(get, key):
    query = "force=merseyside" if key == "studies" else ""
    svg = get(f"/embed/{key}.svg?{query}").content
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert b"<script" not in svg


def test_svg_of_the_trend_names_each_study_in_its_key(get):
    """As on the page, nothing is written on the plot: the key under it names each study's mark
    with its period and value, in the page's words."""
    page = get("/embed/trend/").content.decode()
    names = [t["name"] for t in chart_data(page, "chart-trend-data")["data"] if t["mode"] == "markers"]
    svg = svg_texts(get("/embed/trend.svg").content)
    key = [" ".join(svg[f"value-{i}-0"]) for i in range(len(names))]
    assert key == [name.replace("<br>", " ") for name in names]
    assert key[0] == "Telegraph FOI, 2011 (2008–2009): at least 198"
    assert not any("<br>" in text for text in svg["all"])


def test_svg_of_outcome_by_role_reads_at_least(get):
    page = get("/embed/outcome-roles/").content.decode()
    officers = chart_data(page, "chart-outcome-roles-data")["data"][0]
    svg = svg_texts(get("/embed/outcome-roles.svg").content)
    written = {svg[f"value-0-{i}"][0] for i in range(len(officers["x"])) if f"value-0-{i}" in svg}
    assert written == {"at least 29", "at least 170"}
    assert written <= set(officers["text"])
    assert "stated: at least 254 of at least 1,353." in " ".join(svg["caption"])


def test_svg_and_embed_show_markup_in_labels_as_text(get):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    Force.objects.filter(slug="surrey").update(short_name=hostile)
    svg = get(f"/embed/forces.svg?{PS_2019}").content
    assert b"<script" not in svg and b"<img" not in svg
    assert hostile in svg_texts(svg)["all"]
    page = get(f"/embed/forces/?{PS_2019}").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert chart_data(page, "chart-forces-data")["data"][0]["y"][0] == hostile


# --- Who may frame what --------------------------------------------------------------------------


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_embed_may_be_framed_by_any_site(get):
    response = get(f"/embed/forces/?{PS_2019}")
    assert "X-Frame-Options" not in response
    policy = directives(response)
    assert policy["frame-ancestors"] == "*"
    # Everything else as strict as on every page: no inline script, this site's files only.
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"


def test_svg_runs_no_script_and_may_be_framed(get):
    response = get(f"/embed/forces.svg?{PS_2019}")
    assert "X-Frame-Options" not in response
    assert directives(response) == {
        "default-src": "'none'",
        "style-src": "'unsafe-inline'",
        "frame-ancestors": "*",
    }


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/dashboard/",
        f"/dashboard/?{PS_2019}",
        "/cases/",
        "/forces/",
        "/forces/surrey/",
        "/requests/",
        "/requests/parliament-street-2019/",
        "/figures/",
        "/methodology/",
        "/dashboard/forces.csv",
        "/dashboard/?force=nowhere",
        "/admin/login/",
    ],
)
def test_every_other_page_refuses_to_be_framed(client, url):
    response = client.get(url)
    assert response["X-Frame-Options"] == "DENY"
    assert directives(response)["frame-ancestors"] == "'none'"


# --- Refusals, caching, queries ----------------------------------------------------------------


def test_unknown_chart_is_not_found(get):
    get("/embed/pie/", status=404)
    get("/embed/pie.svg", status=404)


def bad_filter_messages(html: str) -> list[str]:
    return [
        text(item)
        for item in re.findall(
            r"<li>(.*?)</li>", re.search(r'id="filter-errors">(.*?)</ul>', html, re.S).group(1)
        )
    ]


@pytest.mark.parametrize("query", ["force=nowhere", "colour=red", "sort=height", "year_from=twenty"])
def test_bad_filter_gives_the_pages_message(get, query):
    dashboard = get(f"/dashboard/?{query}", status=400).content.decode()
    embed = get(f"/embed/forces/?{query}", status=400)
    assert (
        embed["Content-Security-Policy"].endswith("frame-ancestors *")
        or "frame-ancestors *" in embed["Content-Security-Policy"]
    )
    assert bad_filter_messages(embed.content.decode()) == bad_filter_messages(dashboard)
    svg = get(f"/embed/forces.svg?{query}", status=400)
    assert svg.content.decode().splitlines() == bad_filter_messages(dashboard)


def test_studies_chart_takes_one_force_and_a_unit(get):
    page = get("/embed/studies/?force=surrey&force=cumbria&q=misuse", status=400).content.decode()
    assert bad_filter_messages(page) == [
        "'q' is not a filter of this chart. Its filters: force, unit.",
        "Force ('force'): this chart shows one force's studies: give one force.",
    ]


def test_empty_parameters_redirect_to_the_clean_address(client):
    response = client.get("/embed/forces/?study=parliament-street-2019&q=")
    assert response.status_code == 302
    assert response["Location"] == "/embed/forces/?study=parliament-street-2019"


def test_embed_is_cached_by_dataset_version_in_few_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        first = client.get(f"/embed/forces/?{PS_2019}")
    with django_assert_max_num_queries(1):
        again = client.get(f"/embed/forces/?{PS_2019}")
    assert (first["X-Page-Cache"], again["X-Page-Cache"]) == ("miss", "hit")
    assert again.content == first.content
    # The cached copy keeps its headers: framed anywhere, still.
    assert "frame-ancestors *" in again["Content-Security-Policy"] and "X-Frame-Options" not in again
    svg = client.get(f"/embed/forces.svg?{PS_2019}")
    with django_assert_max_num_queries(1):
        svg_again = client.get(f"/embed/forces.svg?{PS_2019}")
    assert svg_again["Content-Type"] == "image/svg+xml" and svg_again.content == svg.content


# --- "Embed this chart" on the pages -----------------------------------------------------------


def embed_codes(html: str) -> dict[str, str]:
    return {
        box_id: unescape(code)
        for box_id, code in re.findall(r'<textarea id="([^"]+)-embed-code"[^>]*>(.*?)</textarea>', html, re.S)
    }


def test_every_dashboard_chart_offers_its_iframe_code(get):
    page = get("/dashboard/?study=parliament-street-2019&sort=force", max_queries=15).content.decode()
    codes = embed_codes(page)
    assert sorted(codes) == sorted(
        f"chart-{key}" for key in ("forces", "offences", "outcomes", "outcome-roles")
    )
    assert codes["chart-forces"] == (
        '<iframe src="http://testserver/embed/forces/?study=parliament-street-2019&amp;sort=force" '
        'title="Bar chart: people disciplined by force — Misuse Tracker" width="720" height="686" '
        'style="width:100%;max-width:720px;border:0" loading="lazy"></iframe>'
    )
    assert 'href="http://testserver/embed/offences.svg?study=parliament-street-2019&amp;sort=force"' in page


def test_request_and_force_pages_offer_their_charts(get):
    request_page = get("/requests/parliament-street-2019/", max_queries=15).content.decode()
    assert (
        'src="http://testserver/embed/forces/?study=parliament-street-2019"'
        in embed_codes(request_page)["chart-forces"]
    )
    force_page = get("/forces/merseyside/", max_queries=15).content.decode()
    assert (
        'src="http://testserver/embed/studies/?unit=people_disciplined&amp;force=merseyside"'
        in embed_codes(force_page)["chart-people_disciplined-studies"]
    )
