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
    def get(url: str, status: int = 200, max_queries: int = 12) -> str:
        with django_assert_max_num_queries(max_queries):
            response = client.get(url)
        assert response.status_code == status
        return response.content.decode()

    return get


def test_force_page_shows_every_study_with_rate_and_sources(get):
    page = get("/forces/surrey/")
    rows = dict(re.findall(r'<tr data-study="([^"]+)">(.*?)</tr>', page, re.S))
    assert cells(rows["parliament-street-2019"])[2:8] == [
        "50 officers and staff disciplined",
        "— (not stated in the sources)",
        "— (not stated in the sources)",
        "— (not stated in the sources)",
        "50",
        "13.41 (headcount 31 Mar 2019)",
    ]
    assert cells(rows["bbw-2016-safe-in-police-hands"])[2] == "202 data breaches"
    assert cells(rows["bbw-2016-safe-in-police-hands"])[7] == "— (no rate: total or workforce unknown)"
    assert 'href="https://www.theregister.com/2019/11/11/police_database_security/"' in page
    assert '<script id="chart-force-studies-data" type="application/json">' in page


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
    assert "Published figures not held as lines" in page
    assert "employment_terminated" in page and "<strong>10</strong>" in page
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
    assert "Answered (10):" in text(page)
    reconciliation = text(re.search(r'<ul class="reconciliation">(.*?)</ul>', page, re.S).group(1))
    assert (
        "237 cases reported" in reconciliation
        and "= 135 attributed to 10 named forces + 102 not attributed." in reconciliation
    )
    published = dict(re.findall(r'<tr data-metric="([^"]+)">(.*?)</tr>', page, re.S))
    assert cells(published["offence:police_database"])[2] == "over 70"
    assert "Sources differ: FY2017/18-FY2018/19: 70 (The Register); over 70 (The Commentator)" in text(
        published["offence:police_database"]
    )
    assert cells(published["cases_total"])[2] == "237"


def test_request_page_for_refusals_and_figures_only(get):
    page = get("/requests/bbw-2011-police-databases/", max_queries=16)
    assert re.search(r'data-status="Refused"><span class="status">Refused \(4\):', page)
    assert re.search(r'data-status="No reply"><span class="status">No reply \(3\):', page)
    assert "kept as published figures only, not as case lines" in page


def test_request_page_cleveland_sums_its_two_years(get):
    page = get("/requests/cleveland-11288-2019/", max_queries=16)
    row = re.search(r'<tr data-force="cleveland"[^>]*>(.*?)</tr>', page, re.S).group(1)
    # All four outcomes are stated (management action), so none dismissed is a known 0.
    assert cells(row)[:3] == ["Cleveland Police", "4", "0"]


def test_lists(get):
    forces = get("/forces/")
    assert forces.count("<tr data-force=") == 48
    surrey = re.search(r'<tr data-force="surrey">(.*?)</tr>', forces, re.S).group(1)
    assert cells(surrey)[-2:] == ["2", "252"]
    kent = re.search(r'<tr data-force="kent">(.*?)</tr>', forces, re.S).group(1)
    assert cells(kent)[-1] == "— (not stated in the sources)"
    requests = get("/requests/")
    assert requests.count("<tr data-request=") == 12


def test_methodology_shows_mappings_and_disagreements(get):
    page = get("/methodology/")
    disagreements = text(re.search(r'<ul id="disagreements">(.*?)</ul>', page, re.S).group(1))
    assert "The Register says all three researched the database for named persons" in disagreements
    assert "Criminal Records Information System" in disagreements
    assert "70 (The Register); over 70 (The Commentator)" in disagreements
    # One source giving a number in parts (Dorset: officers and staff) is not a disagreement.
    assert "Dorset" not in disagreements
    mapping = re.search(r'id="mapping-outcome">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = [cells(row) for row in re.findall(r"<tr>(.*?)</tr>", mapping, re.S)]
    assert ["Disciplined (sanction not stated)", "reprimanded (ITPro)", "2"] in rows
    assert ["Management advice or action", "Management Action", "4"] in rows
    assert "Financial years (April to March)" in page
