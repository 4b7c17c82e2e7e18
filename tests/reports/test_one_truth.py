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


# The cells of a force table, the headline figure each sums to, and its download column.
CELLS = (
    ("cases", "cases", "cases"),
    ("officers", None, "officers"),
    ("staff", None, "staff"),
    ("dismissed", "dismissed", "dismissed"),
    ("resigned", "resigned", "resigned"),
    ("other", "other", "other_outcomes"),
    ("not-stated", "not-stated", "outcome_not_stated"),
)


def raw_cells(page: str, table_id: str = "force-table") -> list[dict]:
    """Each body row's cells as HTML: a dash's meaning is in its hidden text."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    return [
        dict(re.findall(r'data-cell="([^"]+)">(.*?)</td>', row, re.S))
        for row in re.findall(r"<tr data-force=.*?</tr>", body, re.S)
    ]


def kind(display: str, html: str = "") -> str:
    """What a shown figure is, as a download names it."""
    if display == DASH:
        return "filtered out" if "Filtered out" in html else "not stated"
    return "at least" if display.startswith("at least") else "exact"


def pages_of(params: QueryDict) -> list[str]:
    """Every page whose force table is this selection's: the dashboard, and where the filters name
    only one study (or one force) and nothing else, that study's (or force's) own page."""
    query = params.urlencode()
    pages = [f"/dashboard/?{query}"]
    names = set(params)
    if names == {"study"} and len(params.getlist("study")) == 1:
        pages.append(f"/requests/{params['study']}/")
    return pages


def check_table(page: str, download: list[dict], query: str, table_id: str = "force-table") -> None:
    rows, raws = table_rows(page, table_id), raw_cells(page, table_id)
    body = [r for r in download if r["row"] != "total"]
    totals = [r for r in download if r["row"] == "total"]
    assert len(body) == len(rows), query
    # Never two units in one view, page or file.
    assert len({row["unit"] for row in download}) <= 1
    # The file has a total row exactly where the page's table has one, and it comes last.
    assert len(totals) == (1 if len(rows) > 1 else 0), query
    if totals:
        assert download[-1]["row"] == "total"
    for cell, _key, column in CELLS:
        cells = [row[cell] for row in rows]
        # Row by row, the download holds the same numbers and the same kinds.
        assert [r[f"{column}_is"] for r in body] == [
            kind(c, raw[cell]) for c, raw in zip(cells, raws, strict=True)
        ], (query, cell)
        assert [value(c) for c in cells] == [int(r[column]) if r[column] else None for r in body]
        if len(rows) > 1:
            shown = footer(page, table_id)[cell]
            # The file's total row reads as the page's.
            assert (totals[0][column], totals[0][f"{column}_is"]) == (
                str(value(shown)) if value(shown) is not None else "",
                kind(shown, re.search(rf'<tfoot>.*?data-cell="{cell}">(.*?)</td>', page, re.S).group(1)),
            ), (query, cell)
            known = [value(c) for c in cells if value(c) is not None]
            if kind(shown) == "filtered out" or all(
                kind(c, raw[cell]) == "filtered out" for c, raw in zip(cells, raws, strict=True)
            ):
                assert shown == DASH and {kind(c, r[cell]) for c, r in zip(cells, raws, strict=True)} == {
                    "filtered out"
                }
                continue
            partial = any(kind(c) != "exact" for c in cells) or 'id="note-unseen"' in page
            # The total adds the rows ("at least 0" says nothing, so it reads "—").
            assert value(shown) == (sum(known) if known and (sum(known) or not partial) else None), (
                query,
                cell,
            )
            if not partial:
                assert kind(shown) == "exact", (query, cell)
            elif kind(shown) == "exact":
                # Exact over partly known rows only where a study's published total covers the
                # view: each force's unknown part is then inside its "force not stated" row.
                assert any(r["force"] == "not-stated" for r in rows), (query, cell)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=filter_params())
def test_headline_equals_rows_and_download_in_one_unit(client, params):
    """On every page a selection has, the headline is the table's total, each row and the total
    read the same in the download, and "at least" marks a total exactly when a part is unknown."""
    query = params.urlencode()
    download = csv_rows(client, f"/dashboard/forces.csv?{query}")
    for url in pages_of(params):
        page = client.get(url).content.decode()
        assert len(set(re.findall(r'data-unit="([^"]+)"', page))) <= 1, url
        if not table_rows(page):
            continue
        check_table(page, download, url)
        if url.startswith("/dashboard/"):
            for cell, key, _ in CELLS:
                if key and len(table_rows(page)) > 1:
                    assert headline(page, key) == footer(page)[cell], (url, cell)
    # The case-line page's headline is the dashboard's.
    dashboard = client.get(f"/dashboard/?{query}").content.decode()
    lines = client.get(f"/cases/?{query}").content.decode()
    if 'data-figure="cases"' in dashboard:
        coverage = text(re.search(r'id="coverage">(.*?) in <span data-figure="lines">', lines, re.S).group(1))
        assert coverage.startswith(headline(dashboard, "cases") + " "), (query, coverage)


@pytest.mark.parametrize(
    "force", ["surrey", "gwent", "merseyside", "west-midlands", "northumbria", "south-yorkshire"]
)
def test_force_pages_read_as_the_dashboard_of_that_force(client, force):
    """A force page's table per unit is the dashboard's rows for that force and unit."""
    page = client.get(f"/forces/{force}/").content.decode()
    units = re.findall(r'id="force-studies-([a-z_]+)"', page)
    assert units, force
    for unit in units:
        mine = table_rows(page, f"force-studies-{unit}")
        dashboard = table_rows(client.get(f"/dashboard/?force={force}&unit={unit}").content.decode())
        assert {r["study"]: r for r in mine} == {r["study"]: r for r in dashboard}, (force, unit)


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
    assert headline(page, "cases") == "at least 1,353"


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
        ("?outcome=dismissed", "at least 114"),
        ("?study=parliament-street-2019&study=west-midlands-4624-14&outcome=dismissed", "16"),
        ("?region=North%20West", "at least 441"),
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
    assert "31556.00" not in workforce
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
        # The dashboard: 7 queries of its own (places, the aggregate, returns, their sources,
        # published totals, headcounts) + the 2 version reads; a study or force filter adds the
        # lookup of its values (one query each).
        ("/dashboard/", 9),
        ("/dashboard/?study=parliament-street-2019&force=surrey&outcome=dismissed", 11),
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
    """No line found is no figure: the page says so, with no number, and the download holds its
    header only."""
    page = client.get(f"/dashboard/?{query}")
    body = page.content.decode()
    assert page.status_code == 200
    assert text(re.search(r'<p class="notice" id="not-held">(.*?)</p>', body, re.S).group(1)) == (
        "No case lines match these filters."
    )
    assert 'data-figure="cases"' not in body
    table = client.get(f"/dashboard/outcomes.csv?{query}")
    assert table.status_code == 200
    assert b"".join(table.streaming_content if table.streaming else [table.content]) == (
        b"outcome,outcome_label,unit,unit_label,cases,cases_is,forces\r\n"
    )


# --- What a view of no lines, a filter and a rate say ------------------------------------------


def test_a_study_held_only_as_figures_says_so_and_links_its_figures(client):
    """PA 2014 publishes 2,031 breaches nationally and no case lines: the dashboard must not say
    its numbers are "not stated in the sources"."""
    page = client.get("/dashboard/?study=pa-2014-data-breaches").content.decode()
    notice = re.search(r'<p class="notice" id="not-held">(.*?)</p>', page, re.S).group(1)
    assert text(notice) == (
        "No case lines match these filters: the studies they reach publish their data-breach cases as "
        "figures only, not case by case. See the 9 published figures these filters reach."
    )
    assert 'href="/figures/?study=pa-2014-data-breaches&amp;unit=data_breaches"' in notice
    assert 'data-figure="cases"' not in page
    figures = client.get("/figures/?study=pa-2014-data-breaches&unit=data_breaches").content.decode()
    assert "Police forces recorded a total of 2,031 cases of data protection breaches" in text(figures)
    study = client.get("/requests/pa-2014-data-breaches/").content.decode()
    assert "Open this study in the dashboard" not in study
    assert (
        '<a href="/figures/?study=pa-2014-data-breaches">Browse and download this study’s published figures</a>'
        in study
    )


def test_all_recorded_breaches_are_refused_as_lines(client):
    """Every recorded breach, accidents included, is another thing than staff misuse: a view of
    lines in that unit is refused with where to find its figures, on the page, its download and
    its embed alike."""
    for url in (
        "/dashboard/?unit=all_data_breaches",
        "/dashboard/forces.csv?unit=all_data_breaches",
        "/cases/?unit=all_data_breaches&force=lancashire",
        "/embed/studies/?unit=all_data_breaches&force=lancashire",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert (
            "All recorded data breaches (accidents included) are a different thing from staff misuse and are "
            "held only as published figures, never as case lines: see /figures/?unit=all_data_breaches"
        ) in unescape(response.content.decode()), url


def test_an_outcome_filter_empties_the_other_outcome_columns_alike(client):
    """Under ?outcome=dismissed, Resigned is neither 0 nor "not stated in the sources": the
    filter left it out, on every row, the headline and the download."""
    page = client.get("/dashboard/?outcome=dismissed").content.decode()
    raws = raw_cells(page)
    for cell in ("resigned", "other", "not-stated"):
        assert {"Filtered out" in raw[cell] for raw in raws} == {True}, cell
    assert "Filtered out" in re.search(r'data-figure="resigned">(.*?)</dd>', page, re.S).group(1)
    assert headline(page, "cases") == "at least 114"
    download = csv_rows(client, "/dashboard/forces.csv?outcome=dismissed")
    assert {r["resigned_is"] for r in download} == {"filtered out"}
    assert {r["resigned"] for r in download} == {""}
    assert {r["dismissed_is"] for r in download} <= {"exact", "at least"}


def test_a_count_of_officers_only_says_nothing_of_staff(client):
    """Infosecurity Magazine / Yorkshire Post: "of the 56 police officers investigated" counts
    officers only, so South Yorkshire's staff are not stated, not 0."""
    rows = table_rows(
        client.get("/forces/south-yorkshire/").content.decode(), "force-studies-people_investigated"
    )
    assert [(r["cases"], r["officers"], r["staff"]) for r in rows] == [("56", "56", DASH)]
    download = {r["force"]: r for r in csv_rows(client, "/dashboard/forces.csv?unit=people_investigated")}[
        "south-yorkshire"
    ]
    assert (download["staff"], download["staff_is"]) == ("", "not stated")


def test_rates_show_their_date_period_and_annual_rate_without_hovering(client):
    rows = {
        r["force"]: r
        for r in table_rows(client.get("/dashboard/?study=parliament-street-2019").content.decode())
    }
    assert rows["surrey"]["rate"] == "13.41 6.71 a year; headcount at 31 Mar 2019, over 2 years"


def test_the_force_table_download_ends_with_the_total_the_page_shows(client):
    """Parliament Street's 237 is published: the page's total is exact over five "at least"
    forces, and the file's total row says the same."""
    download = csv_rows(client, "/dashboard/forces.csv?study=parliament-street-2019")
    assert [r["row"] for r in download].count("total") == 1
    total = download[-1]
    assert (total["row"], total["force_name"], total["cases"], total["cases_is"]) == (
        "total",
        "All rows",
        "237",
        "exact",
    )
    assert (total["dismissed"], total["resigned"]) == ("11", "6")
    body = [r for r in download if r["row"] != "total"]
    assert sum(int(r["cases"]) for r in body) == 237
    assert {r["cases_is"] for r in body} == {"exact", "at least"}


def test_case_line_download_names_every_code_in_words(client):
    row = csv_rows(client, "/cases.csv?force=gwent")[0]
    assert (row["role"], row["role_label"]) == ("not_stated", "Not stated")
    assert (row["system"], row["system_label"]) == ("not_stated", "Not stated")
    assert (row["criminal_outcome"], row["criminal_outcome_label"]) == ("not_stated", "Not stated")


def test_a_national_total_says_whom_it_covers(client):
    """VPNOverview: "22 stations recorded 2386 data breaches the same year" — of 31 that answered."""
    page = text(client.get("/requests/").content.decode())
    assert (
        "2,386 all recorded data breaches (accidents included) in 2020; covers: 22 responding forces" in page
    )
    row = {r["request"]: r for r in csv_rows(client, "/requests.csv")}["vpnoverview-2021"]
    assert row["national_total_covers"] == "22 responding forces"


def test_role_totals_without_role_lines_are_explained_on_the_lines_page(client):
    """Lancashire's reply gives 30 officers and 54 staff only as totals: a role filter counts
    them, but no line carries the role, and the page says why none is listed."""
    page = client.get("/cases/?study=lancashire-bbw&role=officer").content.decode()
    assert text(re.search(r'<p class="notice" data-role-totals="\d+">(.*?)</p>', page, re.S).group(1)) == (
        "30 of these are Lancashire Constabulary’s (Big Brother Watch, three years (undated)), counted from "
        "its reply’s totals by role: its lines do not say each case’s role, so none of them is listed here. "
        "See all its lines in this study."
    )


def test_the_resigned_column_says_it_holds_retirements_too(client):
    """Staines Informer: "Nine breaches led to a resignation and two were followed by retirement":
    the column holding both says so."""
    page = client.get("/forces/surrey/").content.decode()
    assert '<th scope="col" class="num">Resigned or retired</th>' in page
    assert "<dt>Resigned or retired</dt>" in client.get("/dashboard/").content.decode()


def test_a_sum_of_studies_that_cover_the_same_time_says_it_may_count_twice(client):
    """Cleveland's own FOI 11288 covers the same two years as Parliament Street, whose 102 are
    not attributed to a force: adding them may count Cleveland's four twice, and the page says so."""
    page = client.get("/dashboard/").content.decode()
    note = text(re.search(r'<span id="note-overlap">(.*?)</span>\.?', page, re.S).group(0))
    assert "Cleveland Police FOI 11288 and Parliament Street, FY2017/18–FY2018/19" in note
    assert note.startswith("Some of these studies cover the same time, so one person may be counted in both")
    single = client.get("/dashboard/?study=parliament-street-2019").content.decode()
    assert 'id="note-overlap"' not in single


def test_words_for_one_and_periods_with_en_dashes(client):
    gwent = text(client.get("/forces/gwent/").content.decode())
    assert "(1 person disciplined, dismissed)" in gwent and not re.search(r"\b1 people", gwent)
    assert not re.search(r"\b1 people", text(client.get("/methodology/").content.decode()))
    # A published figure keeps its period as published; the site's own tables write ranges one way.
    figures = client.get("/forces/dorset/").content.decode()
    assert "<td>2020-2021 (calendar years)</td>" in figures
    assert "2020–2021" in text(client.get("/requests/dorset-2022-130/").content.decode())


def test_a_force_page_adds_no_studies_that_cover_the_same_time(client):
    """Merseyside: the Telegraph's 198 (2008–2009) may be among Big Brother Watch's 208
    (2007–2010): no total adds them, and the page says why."""
    page = client.get("/forces/merseyside/").content.decode()
    table = re.search(r'<table[^>]*id="force-studies-people_disciplined".*?</table>', page, re.S).group(0)
    assert "<tfoot>" not in table
    note = text(
        re.search(r'<p class="footnote" data-overlap="people_disciplined">(.*?)</p>', page, re.S).group(1)
    )
    assert note == (
        "No total across these studies: The Daily Telegraph, 2008–2009 and Big Brother Watch, 2007 to 2010 "
        "cover the same time, so adding them may count one person twice."
    )
    embed = text(client.get("/embed/studies/?force=merseyside&unit=people_disciplined").content.decode())
    assert "Total: at least 408 (studies covering the same time: one person may be counted twice)." in embed
    surrey = client.get("/forces/surrey/").content.decode()
    assert "data-overlap=" not in surrey
