"""The one wording of a count and of a study (reports/wording.py), for charts and templates."""

from datetime import date
from types import SimpleNamespace

import pytest

from cases.models import Unit
from reports.engine import UNKNOWN, Figure
from reports.wording import NOUNS, count_phrase, period_text, studies_with_periods, study_name, study_names


@pytest.mark.parametrize(
    "figure, unit, phrase",
    [
        (Figure(1, True), Unit.PEOPLE_DISCIPLINED, "1 person disciplined"),
        (Figure(1, False), Unit.PEOPLE_DISCIPLINED, "at least 1 person disciplined"),
        (Figure(237, True), Unit.PEOPLE_DISCIPLINED, "237 people disciplined"),
        (Figure(0, True), Unit.PEOPLE_DISCIPLINED, "0 people disciplined"),
        (Figure(1, True), Unit.DATA_BREACHES, "1 data-breach case"),
        (Figure(1234, False), Unit.DATA_BREACHES, "at least 1,234 data-breach cases"),
        (Figure(1, True), Unit.MISCONDUCT_ALLEGATIONS, "1 misconduct allegation"),
        (UNKNOWN, Unit.INVESTIGATIONS, "— investigations"),
        (1, Unit.PEOPLE_INVESTIGATED, "1 person investigated"),
    ],
)
def test_count_phrase(figure, unit, phrase):
    assert count_phrase(figure, unit) == phrase


def test_every_unit_has_its_nouns():
    assert set(NOUNS) == set(Unit.values)


def study(id, title, period="2019", published=None):
    return SimpleNamespace(id=id, title=title, period_label=period, published_on=published, asked_on=None)


def test_study_names_carry_the_year_and_tell_one_publisher_apart():
    bbw_2011 = study(
        3, "Big Brother Watch: Police databases — how over 900 staff abuse their access (July 2011)"
    )
    bbw_2016 = study(5, "Big Brother Watch: Safe in Police Hands? (July 2016)")
    assert study_name(bbw_2011) == "Big Brother Watch, 2011"
    assert study_name(bbw_2016) == "Big Brother Watch, 2016"
    assert study_name(study(1, "Parliament Street: disciplined (2019)", published=date(2019, 11, 8))) == (
        "Parliament Street, 2019"
    )
    assert study_name(study(10, "West Midlands Police FOI 4624/14: employee discipline")) == (
        "West Midlands Police FOI 4624/14"
    )
    assert study_name(
        study(8, "Big Brother Watch figures for Lancashire Constabulary (via DataBreaches.net)")
    ) == ("Big Brother Watch figures for Lancashire Constabulary")
    # Two that would read alike keep their full titles.
    twins = [study(1, "Acme: one (2019)"), study(2, "Acme: two (2019)")]
    assert study_names(twins) == {1: "Acme: one (2019)", 2: "Acme: two (2019)"}


def test_periods_are_written_once_each_beside_its_study():
    studies = [
        study(2, "Cleveland Police FOI 11288: computer misuse (2019)", "FY2017/18–FY2018/19"),
        study(1, "Parliament Street: disciplined (2019)", "FY2017/18-FY2018/19"),
        study(3, "Big Brother Watch: Police databases (July 2011)", "2007 to 2010"),
    ]
    assert studies_with_periods(studies) == (
        "Cleveland Police FOI 11288, 2019 (FY2017/18–FY2018/19); Parliament Street, 2019 "
        "(FY2017/18–FY2018/19); Big Brother Watch, 2011 (2007–2010)"
    )
    assert period_text("three years (undated)") == "three years (undated)"
