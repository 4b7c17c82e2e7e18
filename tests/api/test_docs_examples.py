"""The worked examples in docs/api.md do what the page says (the pandas ones run against a live
server in tests/browser/test_api_docs.py)."""

import json
import re

import pytest
from django.conf import settings

from tests.api.conftest import api

pytestmark = pytest.mark.django_db

DOC = settings.BASE_DIR / "docs" / "api.md"
BASE = "https://misuse-tracker.example"


def blocks(language: str) -> list[str]:
    """The API's examples (the releases' and embeds' own are tested with them)."""
    api_part = DOC.read_text().split("\n## Releases\n", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", api_part, re.S)


def curl_urls() -> list[str]:
    return [
        url.removeprefix(BASE) for block in blocks("sh") for url in re.findall(r"curl -s '([^']+)'", block)
    ]


def test_the_doc_has_its_examples_and_placeholders():
    text = DOC.read_text()
    assert len(curl_urls()) >= 5 and len(blocks("python")) >= 3
    for heading in ("## Releases", "## Embedding a chart", "## Feeds"):
        assert f"\n{heading}\n" in text


@pytest.mark.parametrize("url", curl_urls())
def test_every_curl_example_answers_with_its_meta(client, url):
    payload = api(client, url)
    assert set(payload["meta"]) == {"release", "dataset_version"}
    assert "results" in payload or "result" in payload


def test_the_documented_headline_is_what_the_api_says(client):
    example = next(block for block in blocks("json") if '"result": {"unit": "people_disciplined"' in block)
    result = api(client, curl_urls()[0])["result"]
    documented = dict(re.findall(r'"(\w+)": (\d+|"[^"]*")', example.split('"result":')[1]))
    assert len(documented) >= 10
    assert {name: json.loads(value) for name, value in documented.items()} == {
        name: result[name] for name in documented
    }


def test_the_documented_error_is_the_apis(client):
    example = next(block for block in blocks("json") if '"errors"' in block)
    assert api(client, "/api/v1/case-lines/?colour=red", status=400) == json.loads(example)


def test_the_documented_figure_kinds_are_the_apis(client):
    example = json.loads(next(block for block in blocks("json") if block.startswith('{"cases": 237')))
    result = api(client, "/api/v1/dashboard/headline/?study=parliament-street-2019")["result"]
    assert (result["cases"], result["cases_is"], result["staff"], result["staff_is"]) == (
        example["cases"],
        example["cases_is"],
        example["staff"],
        example["staff_is"],
    )
    surrey = api(client, "/api/v1/dashboard/forces/?force=surrey")["results"][0]
    assert (surrey["dismissed"], surrey["dismissed_is"]) == (example["dismissed"], example["dismissed_is"])


def test_the_documented_embed_code_frames_the_chart(client):
    """The <iframe> in "Embedding a chart" points at an embed that answers and may be framed."""
    src = re.search(r'<iframe src="([^"]+)"', DOC.read_text()).group(1).removeprefix(BASE)
    response = client.get(src)
    assert response.status_code == 200
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
