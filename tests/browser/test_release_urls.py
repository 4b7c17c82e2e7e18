"""A researcher loads a release into pandas straight from its URL, as docs/api.md shows.

Over real HTTP from the live server (no browser needed; it sits with the browser tests because a
live server's transactional tests run last)."""

import re
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings

from reports.releases import release_cut

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(settings.BASE_DIR) / "docs" / "api.md"


def documented_example() -> str:
    section = DOCS.read_text().split("### Load a release in pandas", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_documented_pandas_example_reads_a_release_from_its_url(site, capsys):
    release = release_cut(note="For the docs example.", site_url=site)
    code = documented_example().replace(
        "https://misuse-tracker.example/releases/2026.11.1/", f"{site}/releases/{release.number}/"
    )
    assert f"{site}/releases/{release.number}/" in code
    exec(compile(code, str(DOCS), "exec"), {})  # the example as written, over HTTP
    printed = capsys.readouterr().out.split()
    assert printed[-1] == "237"
    assert printed[-3:-1] == ["50", "exact"]  # Surrey's row: cases, cases_is


def test_every_file_of_the_data_package_loads_from_its_url(site):
    release = release_cut(note="Every file.", site_url=site)
    package = pd.read_json(f"{site}/releases/{release.number}/datapackage.json", typ="series")
    for resource in package["resources"]:
        frame = pd.read_csv(f"{site}/releases/{release.number}/{resource['path']}")
        assert list(frame.columns) == [field["name"] for field in resource["schema"]["fields"]], resource[
            "path"
        ]


def test_the_release_pages_are_accessible(site, page, axe):
    from tests.browser.conftest import assert_accessible

    release = release_cut(note="For the accessibility check.", site_url=site)
    for url in ("/releases/", f"/releases/{release.number}/", f"/dashboard/?release={release.number}"):
        page.goto(site + url)
        page.wait_for_load_state("networkidle")
        assert_accessible(axe, page)
