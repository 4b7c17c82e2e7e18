"""Hostile query strings at every public URL and format, with DEBUG off: never a 5xx.

Every public URL: the pages, every download format, every /api/v1/ endpoint (case lines with a
cursor) and its schema, the embeds and their SVGs, the releases (one is cut for this module: its
page, files and ZIP, /releases/latest/…), the Atom feeds. test_every_public_url_is_fuzzed fails
when a URL is added that this list misses. The parameters are the ones the views read (every
filter, `release`, `cursor`, `page`, `sort`, `excel`, …) and random ones: random, huge, unicode,
NUL-laden and repeated values (hypothesis). Bounded so the file stays under two minutes: at each
URL every parameter at once (likely values, hostile ones, in a release), a few random examples
and one request with 2,000 parameters; 100 more random examples across all of them.
"""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from reports.api.views import TABLE_VIEWS
from reports.embeds import EMBEDS
from reports.exports import DASHBOARD_TABLES

pytestmark = pytest.mark.django_db

RELEASE = "2026.11.1"
RELEASE_FILE = "cases.csv"
FORMATS = ("csv", "json", "xlsx")

PUBLIC_URLS = [
    "/",
    "/dashboard/",
    *(f"/dashboard/{table}.{fmt}" for table in DASHBOARD_TABLES for fmt in FORMATS),
    "/cases/",
    *(f"/cases.{fmt}" for fmt in (*FORMATS, "zip")),
    "/forces/",
    *(f"/forces.{fmt}" for fmt in FORMATS),
    "/forces/cumbria/",
    "/forces/cumbria/feed.atom",
    "/requests/",
    *(f"/requests.{fmt}" for fmt in FORMATS),
    "/requests/parliament-street-2019/",
    "/figures/",
    *(f"/figures.{fmt}" for fmt in FORMATS),
    "/figures/feed.atom",
    "/methodology/",
    "/releases/",
    "/releases.json",
    "/releases/feed.atom",
    "/releases/latest/",
    f"/releases/latest/{RELEASE_FILE}",
    f"/releases/{RELEASE}/",
    f"/releases/{RELEASE}.zip",
    f"/releases/{RELEASE}/{RELEASE_FILE}",
    f"/releases/{RELEASE}/datapackage.json",
    *(f"/embed/{chart}/" for chart in EMBEDS),
    *(f"/embed/{chart}.svg" for chart in EMBEDS),
    "/api/v1/",
    "/api/v1/forces/",
    "/api/v1/forces/cumbria/",
    "/api/v1/requests/",
    "/api/v1/requests/parliament-street-2019/",
    "/api/v1/returns/",
    "/api/v1/case-lines/",
    "/api/v1/figures/",
    "/api/v1/dashboard/headline/",
    *(f"/api/v1/dashboard/{table}/" for table in TABLE_VIEWS),
    "/api/v1/openapi.json",
    "/api/v1/docs/",
    "/healthz",
]
# Every parameter a public view reads (reports/filters.py, the pagers, ReleaseMiddleware), and
# the names other sites use for them.
NAMES = [
    "study",
    "year_from",
    "year_to",
    "force",
    "region",
    "country",
    "role",
    "offence",
    "system",
    "outcome",
    "criminal_outcome",
    "unit",
    "kind",
    "scope",
    "status",
    "q",
    "sort",
    "page",
    "page_size",
    "cursor",
    "release",
    "excel",
    "format",
    "from",
    "to",
]
# Values shaped like the real ones, so the fuzz reaches past the first check.
LIKELY = [
    "cumbria",
    "parliament-street-2019",
    "2019",
    "2026.11.1",
    "2026.13.1",
    "9999.99.9999",
    "officers",
    "dismissed",
    "staff",
    "cD0x",
    "cj0xJnA9MTAw",
    "-year",
    "1e309",
    "NaN",
    "2026-02-30",
    "99999999999999999999",
]
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(lambda s: s * 500),
    st.sampled_from(
        ["\x00", "a\x00b", "' OR 1=1 --", "=cmd|' /C calc'!A0", "%", "\ud7ff", "9" * 400, "-1", "0x10", ""]
    ),
    st.sampled_from(LIKELY),
)
params = st.lists(
    st.tuples(st.one_of(st.sampled_from(NAMES), st.text(max_size=20)), hostile_text), max_size=10
)


@pytest.fixture(scope="module")
def release(django_db_setup, django_db_blocker):
    """One release for the module's release URLs, removed (rows and schema) when it is done."""
    from reports.models import Release, ReleaseFile
    from reports.releases import release_cut, schema_for

    with django_db_blocker.unblock():
        cut = release_cut(
            note="Fuzz.",
            number=RELEASE,
            when=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
            site_url="https://tracker.example.org",
        )
        yield cut
        ReleaseFile.objects.filter(release=cut).delete()
        Release.objects.filter(pk=cut.pk).delete()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_for(RELEASE)}" CASCADE')


@pytest.fixture
def public_client(release, settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def _get(client, url, query):
    response = client.get(url, query)
    assert response.status_code < 500, (url, query, response.status_code)
    if response.streaming:
        b"".join(response.streaming_content)  # a download fails mid-stream: it raises here
    return response


def _patterns(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_every_public_url_is_fuzzed():
    fuzzed = {resolve(url.split("?")[0]).route for url in PUBLIC_URLS}
    public = {route for route, _ in _patterns() if not route.startswith(("admin/", "static/"))}
    assert public - fuzzed == set(), "add these public URLs to PUBLIC_URLS"


@pytest.mark.parametrize("url", PUBLIC_URLS)
@examples(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=params)
def test_hostile_query_strings_at_each_url(public_client, url, query):
    _get(public_client, url, query)


@examples(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=st.sampled_from(PUBLIC_URLS), query=params)
def test_hostile_query_strings_across_every_url(public_client, url, query):
    _get(public_client, url, query)


FILTERS = [name for name in NAMES if name != "release"]  # a bad release is a 400 before the rest


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_every_parameter_at_each_url(public_client, url):
    # Every name at once: values shaped like the real ones, then hostile ones, then in a release.
    likely = {name: LIKELY[n % len(LIKELY)] for n, name in enumerate(FILTERS)}
    _get(public_client, url, likely)
    _get(public_client, url, dict.fromkeys(FILTERS, "a\x00" + "9" * 400))
    _get(public_client, url, {**likely, "release": RELEASE})


def test_the_case_line_cursor_is_followed_and_a_forged_one_refused(public_client):
    first = _get(public_client, "/api/v1/case-lines/", {"page_size": "5"})
    assert first.status_code == 200
    following = first.json()["next"]
    assert following and "cursor=" in following
    assert _get(public_client, following, {}).status_code == 200
    for forged in ("cD0x", "cj0xJnA9MTAw", "\x00", "%%", "x" * 5000):
        assert _get(public_client, "/api/v1/case-lines/", {"cursor": forged}).status_code in (200, 400, 404)


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_two_thousand_parameters_in_one_request_is_refused_or_ignored(public_client, url):
    query = "&".join(f"force={n}" for n in range(2000))
    response = public_client.get(f"{url}?{query}")
    if response.streaming:
        b"".join(response.streaming_content)
    # Pages that read their query string refuse it (DATA_UPLOAD_MAX_NUMBER_FIELDS); the rest ignore it.
    assert response.status_code in (200, 302, 400), (url, response.status_code)
