"""Public pages are computed once per dataset version and query, and never served stale."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from cases.models import CaseLine
from tests.reports.test_one_truth import headline

pytestmark = pytest.mark.django_db

SURREY = "/dashboard/?force=surrey&study=parliament-street-2019"


def test_a_page_asked_again_is_served_whole_from_the_cache_with_one_query(client):
    first = client.get(SURREY)
    assert (first["X-Page-Cache"], headline(first.content.decode(), "cases")) == ("miss", "50")
    # The same filters in another order are the same page.
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/dashboard/?study=parliament-street-2019&force=surrey")
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    assert again["Content-Type"] == "text/html; charset=utf-8"
    assert len(queries) == 1  # the dataset version
    assert again["X-Dataset-Version"] == first["X-Dataset-Version"]


def test_any_write_changes_the_version_so_the_page_is_computed_anew(client):
    assert headline(client.get(SURREY).content.decode(), "cases") == "50"
    line = CaseLine.objects.filter(
        foi_return__force__slug="surrey", foi_return__request__slug="parliament-street-2019"
    ).first()
    line.count += 3
    line.save()  # as the admin saves it: a history row, so a new dataset version
    after = client.get(SURREY)
    assert after["X-Page-Cache"] == "miss"
    assert headline(after.content.decode(), "cases") == "at least 53"  # no longer the reported 50


def test_an_error_page_is_never_kept(client):
    assert client.get("/dashboard/?force=atlantis").status_code == 400
    again = client.get("/dashboard/?force=atlantis")
    assert (again.status_code, again["X-Page-Cache"]) == (400, "miss")


def test_a_write_that_leaves_no_history_row_changes_the_version_too(client):
    """A bulk update (or a COPY) of lines writes no history, but the rollup triggers stamp it."""
    first = client.get(SURREY)
    surrey = CaseLine.objects.filter(
        foi_return__force__slug="surrey", foi_return__request__slug="parliament-street-2019"
    )
    surrey.filter(pk=surrey.first().pk).update(count=F("count") + 3)
    after = client.get(SURREY)
    assert after["X-Dataset-Version"] != first["X-Dataset-Version"]
    assert (after["X-Page-Cache"], headline(after.content.decode(), "cases")) == ("miss", "at least 53")


def test_a_value_holding_an_ampersand_is_another_page(client):
    """`q=police&study=…` encoded into one value is a search, not the study's page."""
    study = client.get("/dashboard/?study=parliament-street-2019&force=surrey")
    search = client.get("/dashboard/?force=surrey%26study%3Dparliament-street-2019")
    assert (study.status_code, search.status_code) == (200, 400)
    assert search["X-Page-Cache"] == "miss"


def test_a_worker_prepares_the_figures_before_its_first_request(client):
    """gunicorn's post_worker_init (gunicorn.conf.py) builds the unfiltered dataset, so the first
    page after a start reads no rollup."""
    import runpy
    from pathlib import Path

    hooks = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    hooks["post_worker_init"](worker=None)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(SURREY)
    assert page["X-Page-Cache"] == "miss"
    assert headline(page.content.decode(), "cases") == "50"
    assert not [q for q in queries if "cases_caselinerollup" in q["sql"]]
