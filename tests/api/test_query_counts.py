"""Query counts per endpoint: capped, not growing with the lines, one query when cached."""

import pytest

from tests.api.conftest import api

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url, cap",
    [
        # Each includes the dataset version, read before and after a response is computed
        # (reports/page_cache.py) and once for its meta; a case-line page reads its ids and then
        # its rows as the download does, in one read-only snapshot (SET TRANSACTION, savepoints).
        ("/api/v1/forces/", 6),
        ("/api/v1/forces/surrey/", 16),
        ("/api/v1/requests/", 10),
        ("/api/v1/requests/parliament-street-2019/", 16),
        ("/api/v1/returns/?force=surrey", 7),
        ("/api/v1/case-lines/", 13),
        ("/api/v1/case-lines/?force=gwent&page_size=1000", 14),
        ("/api/v1/figures/?force=dorset", 6),
        ("/api/v1/dashboard/headline/?study=parliament-street-2019", 10),
        ("/api/v1/dashboard/forces/", 9),
        ("/api/v1/dashboard/outcomes/?outcome=dismissed", 9),
    ],
)
def test_query_counts_are_capped_and_do_not_grow(
    client, django_assert_max_num_queries, more_public_lines, url, cap
):
    with django_assert_max_num_queries(cap):
        api(client, url)
    with django_assert_max_num_queries(1):
        again = client.get(url)
    assert (again.status_code, again["X-Page-Cache"]) == (200, "hit")
