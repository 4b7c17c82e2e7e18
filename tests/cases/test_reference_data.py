"""The published figures load faithfully, reconcile exactly, and load idempotently."""

import csv
from collections import Counter

import pytest
from django.db.models import Sum

from cases.models import CaseLine, FoiRequest, FoiReturn, ReportedFigure, Source
from cases.services import reference_data_load
from forces.models import Force, WorkforceSnapshot
from tests.conftest import FIXTURES_DIR

pytestmark = pytest.mark.django_db

PS = "parliament-street-2019"


def lines(**filters) -> int:
    return CaseLine.objects.filter(**filters).aggregate(total=Sum("count"))["total"] or 0


def test_every_force_and_workforce_row_is_loaded():
    assert Force.objects.count() == 48
    assert Force.objects.filter(kind=Force.Kind.NATIONAL).count() == 3
    assert WorkforceSnapshot.objects.count() == 308
    surrey = WorkforceSnapshot.objects.get(force__slug="surrey", date="2019-03-31", measure="headcount")
    assert (surrey.officers, surrey.staff, surrey.pcsos, surrey.total) == (1930, 1535, 133, 3728)


def test_workforce_cells_marked_not_available_stay_empty_not_zero():
    norfolk = WorkforceSnapshot.objects.filter(force__slug="norfolk", pcsos__isnull=True)
    assert norfolk.exists()
    assert not WorkforceSnapshot.objects.filter(pcsos=0).exists()


def test_every_in_scope_row_of_the_published_files_is_a_reported_figure():
    rows = 0
    for name in (
        "foi_2019_parliament_street.csv",
        "other_police_data_misuse_foi.csv",
        "additional_foi_figures.csv",
    ):
        with (FIXTURES_DIR / "reference" / name).open(newline="") as handle:
            rows += sum(1 for row in csv.DictReader(handle) if row.get("force_slug") != "hmrc")
    assert rows == 168 + 104
    assert ReportedFigure.objects.count() == rows
    assert not ReportedFigure.objects.filter(scope__icontains="HM Revenue").exists()


@pytest.mark.parametrize(
    "slug, total",
    [
        ("surrey", 50),
        ("metropolitan", 18),
        ("greater-manchester", 17),
        ("cumbria", 16),
        ("hertfordshire", 16),
        ("west-yorkshire", 9),
        ("gwent", 3),
        ("wiltshire", 3),
        ("merseyside", 2),
        ("nottinghamshire", 1),
    ],
)
def test_parliament_street_force_totals(slug, total):
    assert lines(foi_return__request__slug=PS, foi_return__force__slug=slug) == total


def test_parliament_street_national_totals_reconcile():
    ps_lines = dict(foi_return__request__slug=PS)
    assert lines(**ps_lines) == 237
    assert lines(**ps_lines, outcome="dismissed") == 11
    assert lines(**ps_lines, outcome="resigned_retired") == 6
    assert lines(**ps_lines, foi_return__force__isnull=False) == 135
    request = FoiRequest.objects.get(slug=PS)
    assert (request.forces_asked, request.forces_answered) == (45, 23)
    assert FoiReturn.objects.filter(request=request, force__isnull=False).count() == 10


def test_unattributed_remainder_is_held_explicitly_and_labelled_computed():
    remainder = CaseLine.objects.filter(foi_return__request__slug=PS, foi_return__force__isnull=True)
    assert {(line.outcome, line.count) for line in remainder} == {
        ("dismissed", 2),
        ("resigned_retired", 6),
        ("not_stated", 94),
    }
    assert set(remainder.values_list("basis", flat=True)) == {CaseLine.Basis.REMAINDER}


def test_met_lines_keep_each_sources_wording():
    met = CaseLine.objects.filter(foi_return__request__slug=PS, foi_return__force__slug="metropolitan")
    assert sorted((line.count, line.outcome, line.system) for line in met) == [
        (1, "dismissed", "cris"),
        (4, "disciplined", "social_media"),
        (13, "not_stated", "not_stated"),
    ]
    cris = met.get(system="cris")
    assert "Crime Reporting System (ITPro)" in cris.system_wording
    assert "Criminal Records Information System" in cris.disagreement


def test_gwent_role_disagreement_is_kept_not_settled():
    gwent = CaseLine.objects.filter(foi_return__request__slug=PS, foi_return__force__slug="gwent")
    assert {line.role for line in gwent} == {"not_stated"}
    assert all("staffers (The Commentator)" in line.role_wording for line in gwent)
    assert all("The Register says all three" in line.disagreement for line in gwent)


def test_over_seventy_and_seventy_are_both_kept():
    database = ReportedFigure.objects.filter(request__slug=PS, metric="offence", detail="police_database")
    assert sorted((f.value, f.qualifier, f.source.publisher) for f in database) == [
        (70, "exact", "The Register"),
        (70, "over", "The Commentator"),
    ]


def test_figure_with_no_number_is_not_zero():
    surrey_email = ReportedFigure.objects.get(force__slug="surrey", metric="offence", detail="email")
    assert surrey_email.value is None
    assert surrey_email.value_display == "no number given"


def test_cleveland_11288_is_its_own_request():
    cleveland = FoiRequest.objects.get(slug="cleveland-11288-2019")
    figures = ReportedFigure.objects.filter(request=cleveland, metric="cases_total")
    assert sorted((f.period_label, f.value) for f in figures) == [("FY2017/18", 0), ("FY2018/19", 4)]
    line = CaseLine.objects.get(foi_return__request=cleveland)
    assert (line.count, line.outcome, line.period_label) == (4, "management_action", "FY2018/19")
    assert not ReportedFigure.objects.filter(request__slug=PS, force__slug="cleveland").exists()


@pytest.mark.parametrize(
    "slug, in_lines, national",
    [
        ("bbw-2016-safe-in-police-hands", 2315, {"breaches_total": 2315}),
        # "904 Police officers and staff were subjected to internal disciplinary procedures":
        # eight named forces (467) and the forces not named (437).
        ("bbw-2011-police-databases", 904, {"forces_responded": 36}),
        (
            "pa-2014-data-breaches",
            0,
            {"breaches_total": 2031, "dismissed": 113, "resigned": 186, "forces_responded": 35},
        ),
        ("huntsman-2017", 0, {"cases_investigated": 779}),
        ("telegraph-merseyside-2011", 198, {}),
        ("lancashire-bbw", 84, {}),
        ("yorkshire-post-2010-south-yorkshire", 56, {}),
        ("west-midlands-4624-14", 7, {}),
        ("northumbria-183-20", 3, {}),
        ("dorset-2022-130", 18, {}),
        ("cleveland-11288-2019", 4, {}),
        ("west-midlands-2014-staff-investigated", 30, {}),
        ("psni-2016-computer-misuse", 67, {}),
        ("psni-foi-2024-03673", 0, {}),
        ("south-wales-715-25", 0, {}),
        ("vpnoverview-2021", 0, {"data_breaches_all_types": 2386}),
        ("data-breach-claims-2025", 0, {}),
        ("west-midlands-2017-data-breaches", 0, {}),
    ],
)
def test_every_study_loads_its_figures(slug, in_lines, national):
    assert lines(foi_return__request__slug=slug) == in_lines
    for metric, value in national.items():
        values = set(
            ReportedFigure.objects.filter(request__slug=slug, force__isnull=True, metric=metric)
            .exclude(period_label__in=["2016", "2017-01-01 to 2017-04-10"])
            .values_list("value", flat=True)
        )
        assert values == {value}, metric


def test_bbw_2011_refusals_and_non_replies_are_returns():
    returns = FoiReturn.objects.filter(request__slug="bbw-2011-police-databases")
    by_status = Counter(returns.values_list("status", flat=True))
    assert by_status["refused"] == 4
    assert by_status["no_reply"] == 3
    assert set(returns.filter(status="no_reply").values_list("force__slug", flat=True)) == {
        "lincolnshire",
        "north-yorkshire",
        "wiltshire",
    }


def test_every_line_and_figure_cites_a_source():
    assert not CaseLine.objects.filter(sources__isnull=True).exists()
    assert Source.objects.count() == 49


def test_loading_twice_changes_nothing():
    def snapshot():
        return {
            model.__name__: sorted(model.objects.values_list("pk", flat=True))
            for model in (Force, WorkforceSnapshot, Source, FoiRequest, FoiReturn, CaseLine, ReportedFigure)
        }

    before = snapshot()
    report = reference_data_load(fixtures_dir=FIXTURES_DIR)
    assert not report.changed
    assert snapshot() == before
    assert "case lines: 100 unchanged" in report.lines()
    assert "reported figures: 272 unchanged, 10 skipped" in report.lines()
