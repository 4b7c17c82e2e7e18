"""Helpers for the API tests: read a response, walk the cursor pages, read the pages' downloads."""

import json
from urllib.parse import urlsplit

import pytest

from cases.models import CaseLine, FoiReturn


def api(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, (url, response.content[:500])
    assert response["Content-Type"] == "application/json", url
    return response.json()


def local(link: str) -> str:
    """A next/previous link as the test client asks for it (path and query)."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def walk(client, url: str) -> list[dict]:
    """Every row of a cursor-paginated endpoint, following the next links."""
    rows, pages = [], 0
    while url:
        payload = api(client, url)
        rows += payload["results"]
        url = local(payload["next"]) if payload["next"] else None
        pages += 1
        assert pages < 1000, "the next links never end"
    return rows


def download(client, url: str) -> list[dict]:
    """The rows of one of the pages' .json downloads."""
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(body)["rows"]


def display(value, kind: str) -> str:
    """A figure as the pages write it: "237", "at least 16", "—"."""
    if kind in ("not stated", "filtered out"):
        assert value is None
        return "—"
    return f"{value:,}" if kind == "exact" else f"at least {value:,}"


@pytest.fixture
def more_public_lines(db):
    """Sixty more lines in approved, public returns: an endpoint that reads per line would show it."""
    returns = list(FoiReturn.objects.public().filter(force__isnull=False)[:6])
    CaseLine.objects.bulk_create(
        [
            CaseLine(foi_return=returns[i % len(returns)], count=1, role="officer", outcome="dismissed")
            for i in range(60)
        ]
    )
