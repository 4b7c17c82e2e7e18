"""Large downloads: XLSX past its cap points to the CSV; only so many run at once per process."""

import gc

import pytest

pytestmark = pytest.mark.django_db


def test_xlsx_past_the_cap_is_refused_with_a_link_to_the_csv(client, settings):
    settings.EXPORT_XLSX_MAX_ROWS = 10
    # Parliament Street's 19 lines: more than the cap of 10.
    response = client.get("/cases.xlsx?study=parliament-street-2019")
    assert response.status_code == 413
    page = response.content.decode()
    assert "This view has 19 case lines; an XLSX download holds at most 10." in page
    assert "Download the CSV, which has every line" in page
    assert 'href="/cases.csv?study=parliament-street-2019"' in page
    assert client.get("/cases.xlsx?force=cumbria").status_code == 200


def test_only_so_many_case_line_downloads_at_once(client):
    first = client.get("/cases.csv")
    second = client.get("/cases.zip")
    assert (first.status_code, second.status_code) == (200, 200)
    busy = client.get("/cases.json")
    assert busy.status_code == 503
    assert busy["Retry-After"] == "60"
    assert (
        "The server is busy sending other large downloads. Please try again in a minute."
        in busy.content.decode()
    )
    b"".join(first.streaming_content)  # finishing a download frees its slot
    assert client.get("/cases.json").status_code == 200
    del second
    gc.collect()  # a download dropped unread frees its slot too
    assert client.get("/cases.json").status_code == 200
