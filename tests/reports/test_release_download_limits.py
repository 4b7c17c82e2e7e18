"""A release's ZIP and its large files share the per-process download limit with /cases.*."""

import gc
from datetime import UTC, datetime

import pytest

from reports import release_views
from reports.releases import release_cut

pytestmark = pytest.mark.django_db
BUSY = "The server is busy sending other large downloads. Please try again in a minute."


@pytest.fixture
def release():
    return release_cut(
        note="Limits.", when=datetime(2026, 11, 23, 12, 0, tzinfo=UTC), site_url="https://tracker.example.org"
    )


def test_release_zips_count_against_the_download_limit(client, release):
    first = client.get(f"/releases/{release.number}.zip")
    second = client.get("/cases.csv")
    assert (first.status_code, second.status_code) == (200, 200)
    busy = client.get(f"/releases/{release.number}.zip")
    assert (busy.status_code, busy["Retry-After"]) == (503, "60")
    assert BUSY in busy.content.decode()
    assert client.get("/cases.json").status_code == 503  # the slots are the same slots
    b"".join(first.streaming_content)  # finishing a download frees its slot
    third = client.get(f"/releases/{release.number}.zip")
    assert third.status_code == 200
    del second, third
    gc.collect()  # a download dropped unread frees its slot too
    assert client.get(f"/releases/{release.number}.zip").status_code == 200
    assert client.get("/releases/2099.01.1.zip").status_code == 404  # no such release: no slot taken


def test_a_large_release_file_takes_a_slot_and_a_small_one_does_not(client, release, monkeypatch):
    large, small = release.files.order_by("-size")[0], release.files.order_by("size")[0]
    assert large.size > small.size
    monkeypatch.setattr(release_views, "LARGE_FILE_BYTES", large.size)
    one, two = client.get("/cases.csv"), client.get("/cases.csv")
    busy = client.get(f"/releases/{release.number}/{large.name}")
    assert busy.status_code == 503 and BUSY in busy.content.decode()
    # A small file goes out in one chunk, busy or not.
    assert client.get(f"/releases/{release.number}/{small.name}").status_code == 200
    b"".join(one.streaming_content)
    served = client.get(f"/releases/{release.number}/{large.name}")
    assert served.status_code == 200
    assert len(b"".join(served.streaming_content)) == large.size
    b"".join(two.streaming_content)
