"""Every public page makes the same number of queries however many lines there are."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import CaseLine, FoiRequest, FoiReturn, Source
from forces.models import Force
from reports import selectors

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/dashboard/",
    "/dashboard/?study=parliament-street-2019&outcome=dismissed&sort=-rate",
    "/dashboard/?region=North+West&q=policing",
    "/forces/",
    "/forces/surrey/",
    "/requests/",
    "/requests/parliament-street-2019/",
    "/methodology/",
    "/cases/",
    "/cases/?force=gwent&outcome=dismissed",
    "/figures/",
]


def queries(client, url: str) -> int:
    """The queries of computing the page (not of serving it again from the cache)."""
    caches["pages"].clear()
    selectors._datasets.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def add_lines(n_forces: int) -> None:
    """More forces, returns, lines and sources in the 2019 request (rolled back after the test)."""
    request = FoiRequest.objects.get(slug="parliament-street-2019")
    source = Source.objects.create(
        url="https://example.org/synthetic", title="Synthetic test source", publisher="Test", kind="blog"
    )
    taken = set(request.returns.values_list("force_id", flat=True))
    for force in Force.objects.exclude(id__in=taken).order_by("slug")[:n_forces]:
        # Approved, so public: lines no visitor can see would prove nothing.
        foi_return = FoiReturn.objects.create(
            request=request,
            force=force,
            status="answered",
            review_state="approved",
            approved_at=timezone.now(),
        )
        foi_return.sources.add(source)
        for outcome in ("dismissed", "written_warning", "not_stated"):
            line = CaseLine.objects.create(
                foi_return=foi_return, count=2, outcome=outcome, offence="unauthorised_access"
            )
            line.sources.add(source)


@pytest.mark.parametrize("url", PAGES)
def test_query_count_does_not_grow_with_data(client, url):
    before = queries(client, url)
    add_lines(n_forces=20)
    page = client.get("/dashboard/").content.decode()
    assert "Synthetic test source" in page  # the new lines are public and counted
    assert queries(client, url) == before
