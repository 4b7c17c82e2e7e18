"""Charts that cannot mislead, as a reader sees them in the page: which study each mark is, each
period once beside its study, the same "at least" reading as every table, singular wording, and
no chart of one category."""

import json
import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db

STUDIES = (
    "Studies and their periods: Telegraph FOI, 2011 (2008–2009); Big Brother Watch, 2011 (2007–2010); "
    "West Midlands Police FOI 4624/14 (2013); Cleveland Police FOI 11288, 2019 (FY2017/18–FY2018/19); "
    "Parliament Street, 2019 (FY2017/18–FY2018/19); Northumbria Police FOI 183/20 (2019). "
    "Source: the case lines of each study, from its published sources."
)


@pytest.fixture
def page(client):
    def page(address: str = "/dashboard/") -> str:
        response = client.get(address)
        assert response.status_code == 200
        return response.content.decode()

    return page


def chart(html: str, key: str) -> dict:
    found = re.search(rf'<script id="chart-{key}-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no chart {key}"
    return json.loads(found.group(1))


def caption(html: str, key: str) -> str:
    return unescape(
        re.search(rf'<figcaption id="chart-{key}-caption">(.*?)</figcaption>', html, re.S).group(1)
    )


def test_captions_pair_each_study_with_its_period_once(page):
    html = page()
    assert caption(html, "forces") == (
        f"People disciplined, by force. {STUDIES} Hatched bars are partly known totals (at least N). "
        "The buttons switch to the rate per 1,000 headcount."
    )
    for key in ("offences", "outcomes", "outcome-roles", "trend"):
        text = caption(html, key)
        assert STUDIES in text, key
        # "FY2017/18–FY2018/19" belongs to two studies: written once beside each, never bare.
        assert text.count("FY2017/18–FY2018/19") == 2, key


def test_force_chart_says_which_study_each_bar_is_whole(page):
    bars = chart(page(), "forces")["data"][0]
    labels = dict(zip(bars["y"], bars["text"], strict=True))
    assert labels["Northumbria<br>Big Brother Watch,<br>2011"] == "39"
    assert labels["Merseyside<br>Big Brother Watch,<br>2011"] == "208"
    assert labels["Northumbria<br>Northumbria Police FOI<br>183/20"] == "3"
    assert labels["Merseyside<br>Telegraph FOI, 2011"] == "at least 198"
    assert labels["Surrey<br>Parliament Street,<br>2019"] == "50"
    assert not [label for label in bars["y"] if "…" in label]


def test_hover_says_one_person_not_one_people(page):
    bars = chart(page(), "forces")["data"][0]
    hovers = dict(zip(bars["y"], bars["hovertext"], strict=True))
    assert hovers["Nottinghamshire<br>Parliament Street,<br>2019"] == (
        "Nottinghamshire Police, Parliament Street, 2019 (FY2017/18–FY2018/19): at least 1 person disciplined"
    )
    assert hovers["Surrey<br>Parliament Street,<br>2019"].endswith(": 50 people disciplined")


def test_trend_writes_nothing_on_the_plot_and_names_each_study_in_its_key(page):
    spec = chart(page(), "trend")
    traces = spec["data"]
    assert not [t for t in traces if "text" in t.get("mode", "") or t.get("text")]
    # A study's period is one line, start to end: never a second study on it.
    assert [len(t["x"]) for t in traces if t["mode"] == "lines"] == [2] * 6
    assert [t["name"] for t in traces if t["mode"] == "markers"] == [
        "Telegraph FOI, 2011 (2008–2009):<br>at least 198",
        "Big Brother Watch, 2011<br>(2007–2010): 904",
        "West Midlands Police FOI 4624/14<br>(2013): 7",
        "Cleveland Police FOI 11288, 2019<br>(FY2017/18–FY2018/19): 4",
        "Parliament Street, 2019<br>(FY2017/18–FY2018/19): 237",
        "Northumbria Police FOI 183/20<br>(2019): 3",
    ]
    assert spec["layout"]["showlegend"] is True
    # Each mark its own shape: the key reads in greyscale.
    symbols = [t["marker"]["symbol"] for t in traces if t["mode"] == "markers"]
    assert len(set(symbols)) == 6


def outcome_table(html: str) -> dict[str, str]:
    body = re.search(r'id="outcome-table".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", c))).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows[cells[0]] = cells[1]
    return rows


def test_outcome_by_role_reads_at_least_as_the_outcome_table_does(page):
    html = page()
    spec = chart(html, "outcome-roles")
    officers = next(t for t in spec["data"] if t["name"] == "Police officer")
    values = dict(zip(officers["y"], officers["text"], strict=True))
    shapes = dict(zip(officers["y"], officers["marker"]["pattern"]["shape"], strict=True))
    assert values["Written warning"] == "at least 29" and shapes["Written warning"] == "x"
    assert values["Management advice or<br>action"] == "at least 170"
    assert "Police officer, Written warning: at least 29 people disciplined" in officers["hovertext"]
    table = outcome_table(html)
    assert table["Written warning"] == "at least 29"
    # Where an outcome's total is "at least", none of its parts reads exact.
    for trace in spec["data"]:
        for label, text in zip(trace["y"], trace["text"], strict=True):
            if table[label.replace("<br>", " ")].startswith("at least"):
                assert text.startswith("at least"), (trace["name"], label, text)
    assert caption(html, "outcome-roles").startswith(
        "People disciplined whose outcome and role are both stated: at least 254 of at least 1,353. "
    )


def test_one_outcome_is_a_figure_not_a_chart(page):
    html = page("/dashboard/?outcome=dismissed")
    assert 'id="chart-outcome-roles"' not in html
    assert outcome_table(html) == {"Dismissed": "at least 114"}


def test_force_page_names_each_study_with_its_period(page):
    spec = chart(page("/forces/merseyside/"), "people_disciplined-studies")
    bars = spec["data"][0]
    assert bars["orientation"] == "h"
    assert dict(zip(bars["y"], bars["text"], strict=True)) == {
        "Telegraph FOI, 2011<br>(2008–2009)": "at least 198",
        "Big Brother Watch,<br>2011<br>(2007–2010)": "208",
        "Parliament Street,<br>2019<br>(FY2017/18–FY2018/19)": "at least 2",
    }


def test_value_axes_write_thousands_as_the_tables_do(page):
    """An axis reads "1,500", as every figure on the site; the SVG's ticks too."""
    from reports.chart_svg import _thousands

    html = page()
    for key in ("forces", "offences", "outcomes", "outcome-roles"):
        assert chart(html, key)["layout"]["xaxis"]["tickformat"] == ",", key
    assert chart(html, "trend")["layout"]["yaxis"]["tickformat"] == ","
    assert [_thousands(v, None) for v in (0.0, 1500.0, 12000.0, 0.5)] == ["0", "1,500", "12,000", "0.5"]
