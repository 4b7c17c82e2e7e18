"""Downloads: the page's rows, safe to open in a spreadsheet, with their sources."""

import csv
import io
import json
import re
import zipfile

import pytest
from openpyxl import load_workbook

from cases.models import CaseLine, FoiReturn, Source
from reports.exports import HEADER
from reports.models import ExportLog
from reports.selectors import dataset_version

pytestmark = pytest.mark.django_db

NTH = "https://beta.northumbria.police.uk/about-us/publications-and-documents/accessing-information/disclosure-log/complaints-and-discipline/disciplinary-for-use-of-pncforce-intelligence-data-systems-18320/"
NTH_TITLE = "Disciplinary for use of PNC/force intelligence data systems – FOI 183/20"


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8")


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response))))


def test_exact_csv_for_a_small_filter(client):
    response = client.get("/cases.csv?study=northumbria-183-20")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="misuse-tracker_cases_northumbria-183-20_\d{4}-\d{2}-\d{2}\.csv"',
        response["Content-Disposition"],
    )
    ids = [
        CaseLine.objects.get(reference=f"northumbria18320-{r}").id
        for r in ("rta-record", "incident-record", "neighbour-dispute")
    ]
    common = "northumbria-183-20,Northumbria Police FOI 183/20: discipline for use of PNC/force intelligence systems,people_disciplined,People disciplined,employees disciplined,northumbria,Northumbria Police,North East"
    # The reply's 3 lines are all of its 3: the force's lines are complete.
    assert body(response) == (
        ",".join(HEADER) + "\n"
        f'{ids[0]},{common},Apr-19,2019-04-01,2019-04-30,1,police_staff,Police staff,Police staff,unauthorised_access,Accessing records without a policing purpose,Confidentiality: Viewed record of RTA,not_stated,Not stated,"",final_written_warning,Final written warning,Final written warning,not_stated,Not stated,stated,answered,yes,3,3,A member of police staff viewed the record of a road traffic accident; final written warning.,"",{NTH_TITLE},{NTH}\n'
        f'{ids[1]},{common},Apr-19,2019-04-01,2019-04-30,1,police_staff,Police staff,Police staff,unauthorised_access,Accessing records without a policing purpose,Confidentiality: Viewed record of a police incident,not_stated,Not stated,"",management_action,Management advice or action,Management Advice,not_stated,Not stated,stated,answered,yes,3,3,A member of police staff viewed the record of a police incident; management advice.,"",{NTH_TITLE},{NTH}\n'
        f'{ids[2]},{common},Jul-19,2019-07-01,2019-07-31,1,officer,Police officer,Police officer,unauthorised_disclosure,Disclosing information without authority,Improper Disclosure of Information: Viewed record of a neighbour dispute,not_stated,Not stated,"",management_action,Management advice or action,Management Advice,not_stated,Not stated,stated,answered,yes,3,3,A police officer viewed the record of a neighbour dispute; management advice.,"",{NTH_TITLE},{NTH}\n'
    )


def test_the_header_is_documented_and_formula_safe():
    from reports.exports import COLUMNS, data_dictionary

    dictionary = data_dictionary()
    for column in COLUMNS:
        assert f"| `{column.name}` |" in dictionary
        assert column.name[0].isalpha()


def page_line_ids(client, query: str) -> list[int]:
    ids, page = [], 1
    while True:
        html = client.get(
            f"/cases/?{query}&page={page}" if query else f"/cases/?page={page}"
        ).content.decode()
        ids += [int(i) for i in re.findall(r'<tr data-line="(\d+)">', html)]
        if "Next page" not in html:
            return ids
        page += 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "study=parliament-street-2019",
        "force=surrey&force=metropolitan&outcome=dismissed",
        "region=North+West&outcome=not_stated",
        "year_from=2019",
        "q=family",
        "role=officer&offence=unauthorised_disclosure",
        "outcome=reflective_practice",
    ],
)
def test_export_rows_equal_page_rows(client, query):
    exported = [int(row[0]) for row in rows(client.get(f"/cases.csv?{query}"))[1:]]
    assert exported == page_line_ids(client, query)
    as_json = json.loads(body(client.get(f"/cases.json?{query}")))
    assert [row["line_id"] for row in as_json["rows"]] == exported


@pytest.mark.parametrize(
    "query",
    ["study=parliament-street-2019", "region=North+West&outcome=not_stated&sort=-rate", "force=surrey"],
)
def test_dashboard_force_table_export_matches_the_page(client, query):
    page = client.get(f"/dashboard/?{query}").content.decode()
    shown = re.findall(r'<tr data-force="([^"]+)" data-study="([^"]+)"[^>]*>', page)
    exported = rows(client.get(f"/dashboard/forces.csv?{query}"))
    # The file ends with the page's "All rows" total wherever the table has one.
    assert [(row[1] or "not-stated", row[3]) for row in exported[1:] if row[0] != "total"] == shown
    assert [row[0] for row in exported[1:]].count("total") == (1 if len(shown) > 1 else 0)


def test_dashboard_force_export_keeps_unknown_as_empty_not_zero(client):
    exported = {row[2]: row for row in rows(client.get("/dashboard/forces.csv?study=parliament-street-2019"))}
    header = rows(client.get("/dashboard/forces.csv?study=parliament-street-2019"))[0]
    surrey = dict(zip(header, exported["Surrey Police"], strict=True))
    assert {
        k: surrey[k]
        for k in ("cases", "cases_is", "dismissed", "dismissed_is", "per_1000_headcount", "headcount")
    } == {
        "cases": "50",
        "cases_is": "exact",
        "dismissed": "",
        "dismissed_is": "not stated",
        "per_1000_headcount": "13.41",
        "headcount": "3728",
    }
    gwent = dict(zip(header, exported["Gwent Police"], strict=True))
    assert {k: gwent[k] for k in ("cases", "cases_is", "per_1000_headcount", "rate_note")} == {
        "cases": "3",
        "cases_is": "at least",
        "per_1000_headcount": "",
        "rate_note": "No rate: only part of the force's count here is known",
    }


@pytest.fixture
def tricky_line():
    """A line whose wording tries every formula trigger and every CSV special character."""
    foi_return = FoiReturn.objects.get(request__slug="dorset-2022-130", force__slug="dorset")
    line = CaseLine.objects.create(
        foi_return=foi_return,
        count=3,
        role_wording='=HYPERLINK("http://evil.example","click")',
        offence="other",
        offence_wording="+cmd|' /C calc'!A0",
        system_wording="-2+3",
        outcome_wording="@SUM(1,2)",
        disagreement='\tTabbed, "quoted", with commas',
        notes="private note",
        summary='Line one, "quoted"\nline two\r\nline three',
        summary_publishable=True,
    )
    source = Source.objects.create(
        url="https://example.org/=x", title="\rReturn first", publisher="Test", kind="blog"
    )
    line.sources.add(source)
    return line


def exported_line(client, fmt_query="cases.csv?force=dorset&unit=misconduct_allegations"):
    table = rows(client.get(f"/{fmt_query}"))
    header = table[0]
    return [dict(zip(header, row, strict=True)) for row in table[1:] if row[header.index("count")] == "3"][0]


@pytest.mark.parametrize(
    "column, expected",
    [
        ("role_wording", '\'=HYPERLINK("http://evil.example","click")'),
        ("offence_wording", "'+cmd|' /C calc'!A0"),
        ("system_wording", "'-2+3"),
        ("outcome_wording", "'@SUM(1,2)"),
        ("disagreement", '\'\tTabbed, "quoted", with commas'),
        ("source_titles", "'\rReturn first"),
    ],
)
def test_csv_neutralises_each_formula_prefix(client, tricky_line, column, expected):
    assert exported_line(client)[column] == expected


def test_numbers_stay_numbers_and_newlines_round_trip(client, tricky_line):
    line = exported_line(client)
    assert line["count"] == "3"
    assert line["summary"] == 'Line one, "quoted"\nline two\r\nline three'


def test_python_rendered_cells_are_neutralised_too():
    from reports.exports import csv_bytes, formula_safe

    for trigger in ["=", "+", "-", "@", "\t", "\r", "\n", "\0"]:
        assert formula_safe(f"{trigger}x") == f"'{trigger}x"
    assert formula_safe(-5) == -5
    assert formula_safe("a=b") == "a=b"
    produced = b"".join(csv_bytes(["=head", "ok"], [["-1", -1]])).decode()
    assert produced == "'=head,ok\r\n'-1,-1\r\n"


def test_excel_variant_has_a_bom(client):
    response = client.get("/cases.csv?force=gwent&excel=1")
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbfline_id,")
    assert b"\xef\xbb\xbf" not in b"".join(client.get("/cases.csv?force=gwent").streaming_content)[:3]


def test_xlsx_opens_and_values_match(client, tricky_line, tmp_path):
    response = client.get("/cases.xlsx?force=dorset&unit=misconduct_allegations")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    path = tmp_path / "cases.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    workbook = load_workbook(path)
    sheet = workbook["data"]
    values = list(sheet.values)
    assert list(values[0]) == HEADER
    by_count = {row[HEADER.index("count")]: dict(zip(HEADER, row, strict=True)) for row in values[1:]}
    assert set(by_count) == {3, 7, 11}  # numbers, not text
    assert by_count[3]["role_wording"] == '\'=HYPERLINK("http://evil.example","click")'
    assert sheet.cell(row=2, column=HEADER.index("role_wording") + 1).data_type == "s"
    assert "Dataset version" in " ".join(str(v[0]) for v in workbook["about"].values)


def test_json_shape_is_documented_and_stable(client):
    payload = json.loads(body(client.get("/cases.json?force=gwent")))
    assert set(payload) == {"meta", "rows"}
    assert set(payload["meta"]) == {
        "title",
        "table",
        "dataset_version",
        "generated_at",
        "filters",
        "permalink",
        "columns",
    }
    assert payload["meta"]["filters"] == {"force": ["gwent"]}
    assert payload["meta"]["permalink"] == "http://testserver/cases/?force=gwent"
    assert [c["name"] for c in payload["meta"]["columns"]] == HEADER
    assert len(payload["rows"]) == 3
    first = payload["rows"][0]
    assert list(first) == HEADER
    assert (first["count"], first["force"], first["outcome"], first["period_start"]) == (
        1,
        "gwent",
        "dismissed",
        "2017-04-01",
    )


def test_zip_bundle_holds_csv_dictionary_sources_and_citation(client):
    response = client.get("/cases.zip?force=gwent")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["CITATION.txt", "DATA_DICTIONARY.md", "SOURCES.md", "cases.csv"]
    assert len(list(csv.reader(io.StringIO(archive.read("cases.csv").decode())))) == 4
    citation = archive.read("CITATION.txt").decode()
    assert "This view: http://testserver/cases/?force=gwent" in citation
    assert f"Dataset version: {dataset_version()}" in citation
    sources = archive.read("SOURCES.md").decode()
    assert "https://www.theregister.com/2019/11/11/police_database_security/" in sources
    assert "| `not_stated` | Not stated |" in archive.read("DATA_DICTIONARY.md").decode()


def test_case_exports_stream(client):
    for fmt in ("csv", "json", "zip"):
        assert client.get(f"/cases.{fmt}?force=gwent").streaming


@pytest.mark.parametrize(
    "url",
    [
        "/cases.csv?forse=1",
        "/cases.json?outcome=sacked",
        "/dashboard/offences.xlsx?force=atlantis",
        "/forces.csv?force=x",
    ],
)
def test_bad_filters_on_downloads_are_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert ExportLog.objects.count() == 0


@pytest.mark.parametrize("url", ["/cases.pdf", "/dashboard/victims.csv", "/forces.zip"])
def test_unknown_formats_and_tables_are_404(client, url):
    assert client.get(url).status_code == 404


def test_every_export_is_logged_without_visitor_details(client):
    body(
        client.get(
            "/cases.csv?force=surrey&outcome=not_stated", HTTP_USER_AGENT="Secret/1.0", REMOTE_ADDR="10.1.2.3"
        )
    )
    body(client.get("/dashboard/offences.json?study=parliament-street-2019"))
    logs = list(
        ExportLog.objects.order_by("id").values("table", "format", "query_string", "rows", "completed")
    )
    assert logs == [
        {
            "table": "cases",
            "format": "csv",
            "query_string": "force=surrey&outcome=not_stated",
            # Surrey's people disciplined (the default unit), not its data breaches too.
            "rows": 2,
            "completed": True,
        },
        {
            "table": "offences",
            "format": "json",
            "query_string": "study=parliament-street-2019",
            "rows": 5,
            "completed": True,
        },
    ]
    stored = " ".join(str(v) for log in ExportLog.objects.values() for v in log.values())
    assert "Secret" not in stored and "10.1.2.3" not in stored


def test_dataset_version_changes_when_data_changes():
    before = dataset_version()
    line = CaseLine.objects.get(reference="ps2019-cumbria-no-policing-purpose")
    line.outcome_wording = "changed"
    line.save()
    after = dataset_version()
    assert after != before
    line.delete()
    assert dataset_version() not in {before, after}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/dashboard/?force=surrey",
        "/cases/?force=surrey",
        "/forces/surrey/",
        "/requests/",
        "/methodology/",
    ],
)
def test_every_page_has_cite_this_view_and_filtered_downloads(client, url):
    page = client.get(url).content.decode()
    assert f"Dataset version <span data-dataset-version>{dataset_version()}</span>" in page
    assert f'<a href="http://testserver{url.replace("&", "&amp;")}">' in page
    assert 'class="downloads"' in page
    if "force=surrey" in url:
        assert ".csv?force=surrey" in page


def test_lists_export(client):
    forces = rows(client.get("/forces.csv"))
    assert len(forces) == 49
    requests = json.loads(body(client.get("/requests.json")))
    assert len(requests["rows"]) == 19
    assert {r["request"]: r["national_total_as_published"] for r in requests["rows"]}[
        "pa-2014-data-breaches"
    ] == "2,031"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/dashboard/?force=surrey",
        "/cases/?outcome=dismissed",
        "/forces/",
        "/forces/surrey/",
        "/requests/",
        "/requests/parliament-street-2019/",
        "/methodology/",
    ],
)
def test_every_download_link_on_every_page_works(client, url):
    from html import unescape

    page = client.get(url).content.decode()
    links = [
        unescape(href)
        for block in re.findall(r'<p class="downloads".*?</p>', page, re.S)
        for href in re.findall(r'href="([^"]+)"', block)
    ]
    assert links
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        if response.streaming:
            b"".join(response.streaming_content)  # the stream completes without error


def test_list_downloads_refuse_filters_by_name(client):
    response = client.get("/forces.csv?force=kent")
    assert response.status_code == 400
    assert (
        "The list of forces takes no filters (&#x27;force&#x27;). Accepted: excel=1 on CSV."
        in response.content.decode()
    )
