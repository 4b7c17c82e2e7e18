"""The database itself refuses rows that break an invariant."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from cases.models import CaseLine, FoiRequest, FoiReturn, ReportedFigure, Source
from forces.models import Force, WorkforceSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def ps_return():
    return FoiReturn.objects.get(request__slug="parliament-street-2019", force__slug="surrey")


def refused(create):
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        create()
    return str(error.value)


def test_line_count_must_be_at_least_one(ps_return):
    assert "line_count_at_least_one" in refused(
        lambda: CaseLine.objects.create(foi_return=ps_return, count=0)
    )


def test_line_period_must_not_end_before_it_starts(ps_return):
    message = refused(
        lambda: CaseLine.objects.create(
            foi_return=ps_return, count=1, period_start=date(2019, 3, 1), period_end=date(2018, 3, 1)
        )
    )
    assert "line_period_start_before_end" in message


@pytest.mark.parametrize("field", ["role", "offence", "system", "outcome", "criminal_outcome"])
def test_line_codes_must_be_known(ps_return, field):
    message = refused(lambda: CaseLine.objects.create(foi_return=ps_return, count=1, **{field: "made_up"}))
    assert f"line_{field}_valid" in message


def test_one_return_per_force_per_request(ps_return):
    message = refused(
        lambda: FoiReturn.objects.create(request=ps_return.request, force=ps_return.force, status="answered")
    )
    assert "return_one_per_force_per_request" in message


def test_one_unattributed_return_per_request(ps_return):
    message = refused(
        lambda: FoiReturn.objects.create(request=ps_return.request, force=None, status="answered")
    )
    assert "return_one_unattributed_per_request" in message


def test_exemption_only_on_a_refusal():
    request = FoiRequest.objects.get(slug="huntsman-2017")
    force = Force.objects.get(slug="kent")
    message = refused(
        lambda: FoiReturn.objects.create(request=request, force=force, status="answered", exemption="s12")
    )
    assert "return_exemption_only_when_refused" in message


def test_request_period_must_not_end_before_it_starts():
    message = refused(
        lambda: FoiRequest.objects.create(
            slug="backwards",
            title="t",
            period_label="p",
            year_basis="dates",
            counting_unit="u",
            period_start=date(2020, 1, 1),
            period_end=date(2019, 1, 1),
        )
    )
    assert "request_period_start_before_end" in message


def test_request_cannot_have_more_answers_than_asked():
    message = refused(
        lambda: FoiRequest.objects.create(
            slug="too-many",
            title="t",
            period_label="p",
            year_basis="dates",
            counting_unit="u",
            forces_asked=10,
            forces_answered=11,
        )
    )
    assert "request_answered_not_more_than_asked" in message


def test_figure_without_a_number_must_say_so():
    figure = ReportedFigure.objects.filter(value__isnull=False).first()
    message = refused(
        lambda: ReportedFigure.objects.create(
            request=figure.request,
            reference="x",
            scope="s",
            metric="cases_total",
            metric_as_recorded="m",
            value=None,
            qualifier="exact",
            period_label="p",
            quote="q",
            source=figure.source,
        )
    )
    assert "figure_value_matches_qualifier" in message


def test_one_workforce_row_per_force_date_and_measure():
    existing = WorkforceSnapshot.objects.first()
    message = refused(
        lambda: WorkforceSnapshot.objects.create(
            force=existing.force, date=existing.date, measure=existing.measure, source="s"
        )
    )
    assert "workforce_one_row_per_force_date_measure" in message


def test_source_url_is_unique():
    source = Source.objects.first()
    assert "url" in refused(
        lambda: Source.objects.create(url=source.url, title="t", publisher="p", kind="blog")
    )
