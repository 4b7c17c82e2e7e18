"""No draft is reachable: a draft return's lines, its study and a pending change stay off the API."""

import pytest

from cases.models import CaseLine, FoiRequest, FoiReturn, ReportedFigure, Source
from cases.publishing import record_save
from forces.models import Force
from tests.api.conftest import api, walk
from tests.cases.conftest import make_user

pytestmark = pytest.mark.django_db

URLS = [
    "/api/v1/forces/",
    "/api/v1/forces/kent/",
    "/api/v1/requests/",
    "/api/v1/returns/",
    "/api/v1/case-lines/",
    "/api/v1/case-lines/?force=kent",
    "/api/v1/case-lines/?q=draftword",
    "/api/v1/figures/",
    "/api/v1/dashboard/headline/",
    "/api/v1/dashboard/headline/?force=kent",
    "/api/v1/dashboard/forces/",
    "/api/v1/dashboard/outcomes/?force=kent",
]


def make_draft_study():
    """A study whose only return (Kent's) is a draft holding 40 lines: public nowhere."""
    study = FoiRequest.objects.create(
        slug="draft-study-2025",
        title="A draft study",
        period_label="2024",
        year_basis="calendar",
        counting_unit="people",
    )
    kent_return = FoiReturn.objects.create(
        request=study, force=Force.objects.get(slug="kent"), status="answered"
    )
    source = Source.objects.create(
        url="https://example.org/draft", title="Draft", publisher="Nobody", kind="blog"
    )
    lines = CaseLine.objects.bulk_create(
        [
            CaseLine(
                foi_return=kent_return,
                count=10,
                role="officer",
                outcome="dismissed",
                offence_wording="draftword",
            )
            for _ in range(4)
        ]
    )
    for line in lines:
        line.sources.add(source)
    return study, kent_return, lines


@pytest.fixture
def draft_study(db):
    return make_draft_study()


def body(client, url: str) -> str:
    payload = api(client, url)
    payload.pop("meta")
    return str(payload)


def test_a_draft_return_changes_no_response(client):
    before = {url: body(client, url) for url in URLS}
    study, kent_return, lines = make_draft_study()
    assert not kent_return.is_approved
    for url in URLS:
        after = body(client, url)
        assert after == before[url], url
        assert "draft-study-2025" not in after and "draftword" not in after
    line_ids = {row["line_id"] for row in walk(client, "/api/v1/case-lines/?force=kent&page_size=1000")}
    assert line_ids.isdisjoint(line.id for line in lines)
    assert kent_return.id not in {row["return_id"] for row in walk(client, "/api/v1/returns/?force=kent")}


def test_a_draft_study_is_not_found_nor_a_filter_value(client, draft_study):
    assert api(client, "/api/v1/requests/draft-study-2025/", status=404)
    for url in ("/api/v1/case-lines/", "/api/v1/returns/", "/api/v1/figures/", "/api/v1/dashboard/headline/"):
        errors = api(client, f"{url}?study=draft-study-2025", status=400)["errors"]
        assert errors[0].startswith("FOI request or study ('study'): Select a valid choice. draft-study-2025")


def test_a_pending_change_to_a_figure_is_not_shown(client):
    figure = ReportedFigure.objects.filter(value__isnull=False, force__slug="dorset").first()
    old = figure.value
    figure.value = old + 1000
    assert record_save(instance=figure, user=make_user("eve", "Editor")).pending
    rows = walk(client, "/api/v1/figures/?force=dorset")
    assert next(row["value"] for row in rows if row["figure_id"] == figure.id) == old
    profile = api(client, "/api/v1/forces/dorset/")["result"]
    assert next(row["value"] for row in profile["figures"] if row["figure_id"] == figure.id) == old
