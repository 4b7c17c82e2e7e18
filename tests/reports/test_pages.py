"""Force, request, list and methodology pages: the figures a reader sees, in fixed queries."""

import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def cells(row_html: str) -> list[str]:
    return [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row_html, re.S)]


@pytest.fixture
def get(client, django_assert_max_num_queries):
    # 13: a force or request page reads the lines the sources disagree about in one query.
    def get(url: str, status: int = 200, max_queries: int = 15) -> str:
        with django_assert_max_num_queries(max_queries):
            response = client.get(url)
        assert response.status_code == status
        return response.content.decode()

    return get


NS = "— (not stated in the sources)"


def test_force_page_shows_every_study_with_rate_and_sources(get):
    page = get("/forces/surrey/")
    rows = dict(re.findall(r'<tr data-force="surrey" data-study="([^"]+)"[^>]*>(.*?)</tr>', page, re.S))
    # One table per counting unit: 50 people disciplined and 202 data breaches are never added.
    assert "Surrey Police: people disciplined, by study" in page
    assert "Surrey Police: data-breach cases, by study" in page
    assert cells(rows["parliament-street-2019"])[1:9] == [
        "FY2017/18–FY2018/19",
        "50",
        NS,
        NS,
        NS,
        NS,
        NS,
        "50",
    ]
    assert (
        cells(rows["parliament-street-2019"])[9]
        == "13.41 6.71 a year; headcount at 31 Mar 2019, over 2 years"
    )
    assert (
        'title="13.41 per 1,000 headcount at 31 March 2019 (3,728), over the study&#x27;s period of 2 years; 6.71 per 1,000 a year"'
        in rows["parliament-street-2019"]
    )
    # 2016: the Staines Informer's breakdown of the 202 by outcome (29 dismissed, 9 + 2 resigned or
    # retired, 156 other outcomes, 6 not known: 4 ongoing and 2 without information).
    assert cells(rows["bbw-2016-safe-in-police-hands"])[1:9] == [
        "1 June 2011 to 31 December 2015",
        "202",
        NS,
        NS,
        "at least 29",
        "at least 11",
        "at least 156",
        "6",
    ]
    assert cells(rows["bbw-2016-safe-in-police-hands"])[9] == (
        "— (no rate: no Home Office headcount within two years of the end of the study's period"
        " (the workforce tables held cover 2017 to 2019))"
    )
    assert 'href="https://www.theregister.com/2019/11/11/police_database_security/"' in page


def test_force_page_lists_answers_including_refusals(get):
    page = get("/forces/west-yorkshire/")
    answers = text(re.search(r'<ul id="force-returns">(.*?)</ul>', page, re.S).group(1))
    assert (
        "Big Brother Watch: Police databases — how over 900 staff abuse their access (July 2011): Refused (exemption: Not stated)"
        in answers
    )
    assert (
        "Parliament Street: police officers and staff disciplined for computer misuse (2019): Answered"
        in answers
    )


def test_force_page_shows_figures_kept_only_as_figures(get):
    page = get("/forces/kent/")
    figures = dict(re.findall(r'<tr data-figure="\d+" data-metric="([^"]+)">(.*?)</tr>', page, re.S))
    assert cells(figures["outcome:employment_terminated"]) == [
        "Outcome: employment terminated (officers and staff)",
        "People disciplined",
        "2007 to 2010",
        "10",
        "“The areas with the largest number of officers and Police staff who had their employment terminated for DPA breaches since 2007 were: Kent (10), Merseyside (7), West Midlands (7), Northumbria (6), Derbyshire (5) and Humberside (5).”",
        "Big Brother Watch (via Scribd)",
    ]
    assert "We hold no case lines for Kent Police. That is not the same as no cases." in page


def test_force_page_workforce_keeps_unavailable_cells_empty(get):
    page = get("/forces/norfolk/")
    workforce = re.search(r'<table class="figures" id="workforce">(.*?)</table>', page, re.S).group(1)
    assert "—" in workforce
    assert "police-workforce-sep18-tables.ods" in page and "police-workforce-sep19-tables.ods" in page


def test_force_without_workforce_says_so(get):
    assert "No workforce figures were found for this force." in get("/forces/police-scotland/")


def test_unknown_force_is_404(get):
    get("/forces/atlantis/", status=404, max_queries=2)


def test_request_page_reconciles_and_lists_answers(get):
    page = get("/requests/parliament-street-2019/", max_queries=16)
    facts = {text(dt): text(dd) for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page, re.S)}
    assert facts["Forces asked"] == "45"
    assert facts["Forces that answered"] == "23 (13 not named in the sources)"
    assert facts["Asked on"] == "not stated"
    assert facts["Period"] == "FY2017/18–FY2018/19 (financial years (April to March))"
    assert "Answered (10):" in text(page)
    reconciliation = text(re.search(r'<ul class="reconciliation">(.*?)</ul>', page, re.S).group(1))
    assert (
        "237 people disciplined reported" in reconciliation
        and "= 135 attributed to 10 named forces + 102 not attributed." in reconciliation
    )
    # Each source's figure in its own row, with its words; where they differ, it is said.
    published = re.findall(
        r'<tr data-figure="\d+" data-metric="offence:police_database">(.*?)</tr>', page, re.S
    )
    assert [cells(row)[4] for row in published] == ["70", "over 70"]
    assert (
        "Offence: police database: the sources differ — FY2017/18-FY2018/19: 70 (The Register); over 70 (The Commentator)"
        in text(page)
    )
    national = [
        cells(row)
        for row in re.findall(r'<tr data-figure="\d+" data-metric="cases_total">(.*?)</tr>', page, re.S)
        if cells(row)[0] == "All responding forces"
    ]
    assert {row[4] for row in national} == {"237"}


def test_request_page_for_refusals_and_figures_only(get):
    page = get("/requests/bbw-2011-police-databases/", max_queries=16)
    assert re.search(r'data-status="Refused"><span class="status">Refused \(4\):', page)
    assert re.search(r'data-status="No reply"><span class="status">No reply \(3\):', page)
    # Its lines: the eight forces whose counts it (or the local press) publishes, largest first,
    # and the rest of its 904, which no source attributes to a force; then the total.
    rows = re.findall(
        r'<tr data-force="([^"]+)"', re.search(r'id="force-table".*?</table>', page, re.S).group(0)
    )
    assert rows == [
        "not-stated",
        "merseyside",
        "west-midlands",
        "humberside",
        "south-yorkshire",
        "northumbria",
        "derbyshire",
        "cleveland",
        "durham",
        "total",
    ]
    assert "kept as published figures only, not as case lines" in get("/requests/huntsman-2017/")


def test_request_page_cleveland_sums_its_two_years(get):
    page = get("/requests/cleveland-11288-2019/", max_queries=16)
    row = re.search(r'<tr data-force="cleveland"[^>]*>(.*?)</tr>', page, re.S).group(1)
    # All four outcomes are stated (management action), so none dismissed is a known 0; the
    # reply says "employees", so officers and staff are not stated.
    assert cells(row)[:9] == [
        "Cleveland Police",
        "4",
        NS,
        NS,
        "0",
        "0",
        "4",
        "0",
        "2.34 1.17 a year; headcount at 31 Mar 2019, over 2 years",
    ]


def test_lists(get):
    forces = get("/forces/")
    assert forces.count("<tr data-force=") == 48
    # No sum across studies: how many studies and figures, and what the lines count.
    surrey = re.search(r'<tr data-force="surrey">(.*?)</tr>', forces, re.S).group(1)
    assert cells(surrey)[-3:] == ["2", "18", "People disciplined; Data-breach cases"]
    assert "252" not in surrey
    kent = re.search(r'<tr data-force="kent">(.*?)</tr>', forces, re.S).group(1)
    assert cells(kent)[-3:] == ["0", "1", "none held"]
    requests = get("/requests/")
    assert requests.count("<tr data-request=") == 19


def test_methodology_shows_mappings_and_disagreements(get):
    page = get("/methodology/")
    disagreements = text(re.search(r'<ul id="disagreements">(.*?)</ul>', page, re.S).group(1))
    assert "The Register says all three researched the database for named persons" in disagreements
    assert "Criminal Records Information System" in disagreements
    assert "70 (The Register); over 70 (The Commentator)" in disagreements
    # One source giving a number in parts (Dorset: officers and staff) is not a disagreement.
    found = [text(item) for item in re.findall(r'<li data-disagreement="figures">(.*?)</li>', page, re.S)]
    assert found and not [item for item in found if "Dorset" in item]
    mapping = re.search(r'id="mapping-outcome">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = [cells(row) for row in re.findall(r"<tr>(.*?)</tr>", mapping, re.S)]
    # Lines using each wording, not people: studies count different units.
    assert "Lines using it" in page
    assert ["Disciplined (sanction not stated)", "reprimanded (ITPro)", "1"] in rows
    assert ["Management advice or action", "Management Action", "1"] in rows
    assert "Financial years (April to March)" in page
