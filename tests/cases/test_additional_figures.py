"""Issue 13: the 104 figures of additional_foi_figures.csv load faithfully, each with its source,
quote, period as published and unit; all-breach counts are a unit of their own; the curated lines
reconcile with the figures they come from."""

import csv
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from cases.models import CaseLine, FoiReturn, ReportedFigure, Unit
from tests.conftest import FIXTURES_DIR

pytestmark = pytest.mark.django_db

ADDITIONAL = FIXTURES_DIR / "reference" / "additional_foi_figures.csv"

# Which request each dataset of the file belongs to: existing studies keep their figures
# together; the Lancashire Telegraph's is DataBreaches.net's 84 (datasets.csv).
REQUEST_OF = {
    "Big Brother Watch 'Safe in Police Hands?' (July 2016)": "bbw-2016-safe-in-police-hands",
    "Big Brother Watch 'Police databases: how over 900 staff abuse their access' (July 2011)": (
        "bbw-2011-police-databases"
    ),
    "Press Association FOI (published c. 2014)": "pa-2014-data-breaches",
    "Lancashire Telegraph FOI (reported c. 2011)": "lancashire-bbw",
    "West Midlands Police FOI (reported March 2014, BBC/PA)": "west-midlands-2014-staff-investigated",
    "PSNI disclosure (reported c. 2016, Irish Examiner/Press Association)": "psni-2016-computer-misuse",
    "PSNI FOI-2024-03673 (published 2025)": "psni-foi-2024-03673",
    "South Wales Police FOI 715/25 (Aug 2025)": "south-wales-715-25",
    "VPNOverview FOI (published 2021)": "vpnoverview-2021",
    "Data Breach Claims UK FOI (published 2025)": "data-breach-claims-2025",
    "West Midlands Police FOI (reported Aug 2017, Express & Star)": "west-midlands-2017-data-breaches",
}
ALL_BREACH_REQUESTS = {
    "south-wales-715-25",
    "vpnoverview-2021",
    "data-breach-claims-2025",
    "west-midlands-2017-data-breaches",
}


def additional_rows() -> list[dict]:
    with ADDITIONAL.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def figure_of(row: dict) -> ReportedFigure:
    """The one figure loaded from a row of the file, found by what the row says."""
    return ReportedFigure.objects.select_related("request", "force", "source").get(
        reference__startswith="add-",
        quote=row["quote"],
        source__url=row["source_url"],
        metric_as_recorded=row["metric"],
        value=int(row["value"]),
        period_label=row["period"],
        role_wording=row["role"],
        force__slug=row["force_slug"] or None,
    )


def lines(**filters) -> int:
    return CaseLine.objects.filter(**filters).aggregate(total=Sum("count"))["total"] or 0


def test_the_file_is_the_shared_data_and_holds_104_figures():
    shared = FIXTURES_DIR.parent.parent / "shared" / "data" / "additional_foi_figures.csv"
    if shared.exists():  # the shared folder is beside the worktrees, not in a CI checkout
        assert shared.read_bytes() == ADDITIONAL.read_bytes()
    assert len(additional_rows()) == 104
    assert ReportedFigure.objects.filter(reference__startswith="add-").count() == 104


def test_every_additional_row_is_a_figure_with_its_request_source_quote_period_and_unit():
    for row in additional_rows():
        figure = figure_of(row)
        assert figure.request.slug == REQUEST_OF[row["dataset"]], row
        assert figure.scope == row["force"]
        assert figure.notes == row["notes"]
        # All recorded breaches (accidents included) are their own unit, and only they.
        all_breaches = figure.request.slug in ALL_BREACH_REQUESTS
        assert (figure.unit == Unit.ALL_DATA_BREACHES) == all_breaches, row
        if row["metric"] == "data_breaches_all_types":
            assert figure.unit == Unit.ALL_DATA_BREACHES


def test_all_breach_counts_are_never_lines_nor_in_a_misuse_study():
    assert not CaseLine.objects.filter(foi_return__request__unit=Unit.ALL_DATA_BREACHES).exists()
    assert (
        set(
            ReportedFigure.objects.filter(unit=Unit.ALL_DATA_BREACHES).values_list("request__slug", flat=True)
        )
        == ALL_BREACH_REQUESTS
    )
    assert set(
        ReportedFigure.objects.filter(request__unit=Unit.ALL_DATA_BREACHES).values_list("unit", flat=True)
    ) == {Unit.ALL_DATA_BREACHES}


def test_more_than_300_is_a_floor_and_the_rest_are_exact():
    """TechEye: "more than 300 breaches of the Data Protection Act"."""
    met = ReportedFigure.objects.get(
        request__slug="pa-2014-data-breaches", force__slug="metropolitan", value=300
    )
    assert (met.qualifier, met.value_display) == ("over", "over 300")
    others = ReportedFigure.objects.filter(reference__startswith="add-").exclude(pk=met.pk)
    assert set(others.values_list("qualifier", flat=True)) == {"exact"}


def test_the_six_rows_the_notes_call_uncertain_are_marked_and_no_other():
    uncertain = [row for row in additional_rows() if "uncertain" in row["notes"].lower()]
    assert len(uncertain) == 6
    marked = set(ReportedFigure.objects.exclude(uncertain="").values_list("pk", flat=True))
    # The Hartlepool Mail's 208 "legal cautions" is held twice (once from each reference file):
    # both copies carry the same caveat, so one reading never reads as two.
    hartlepool = ReportedFigure.objects.filter(
        request__slug="bbw-2011-police-databases",
        force__slug="merseyside",
        source__url="https://www.hartlepoolmail.co.uk/news/police-abuse-data-systems-1-3557703",
        value=208,
    )
    assert sorted(hartlepool.values_list("detail", flat=True)) == ["caution", "legal_caution"]
    assert marked == {figure_of(row).pk for row in uncertain} | set(hartlepool.values_list("pk", flat=True))
    assert {f.uncertain for f in hartlepool} == {
        "What the 208 are is disputed: criminal convictions, internal disciplinary procedures or legal cautions, by source."
    }
    assert len({f.disagreement for f in hartlepool}) == 1
    devon = ReportedFigure.objects.get(force__slug="devon-and-cornwall")
    assert devon.uncertain.startswith(
        "The period is not stated: the article says only “95 over a longer period”"
    )


def test_lancashire_30_officers_and_54_staff_are_the_84():
    """Lancashire Telegraph: "30 against officers and 54 against staff in the last three years";
    DataBreaches.net: "a total of 84 beaches of data protection laws"."""
    told = ReportedFigure.objects.filter(request__slug="lancashire-bbw", metric="breaches_total")
    assert sorted((f.source.publisher, f.value, f.role_wording) for f in told) == [
        ("DataBreaches.net", 84, ""),
        ("Lancashire Telegraph", 30, "officers"),
        ("Lancashire Telegraph", 54, "staff"),
    ]
    lancashire = FoiReturn.objects.get(request__slug="lancashire-bbw", force__slug="lancashire")
    assert (lancashire.reported_total, lancashire.reported_officers, lancashire.reported_staff) == (
        84,
        30,
        54,
    )
    assert lines(foi_return=lancashire) == 84 == 30 + 54


def test_northumbria_2011_lines_are_the_northern_echos_and_add_up_to_big_brother_watchs():
    """The Northern Echo: "Twenty police officers had been disciplined and a further 19 civilian
    staff"; "six people had been sacked ... two police officers and four civilian staff". Big
    Brother Watch lists Northumbria (39) disciplined and (6) employment terminated. The sacked are
    read as among the disciplined: 2 + 18 officers, 4 + 15 staff, 39 in all (docs/data.md)."""
    study = dict(foi_return__request__slug="bbw-2011-police-databases", foi_return__force__slug="northumbria")
    assert sorted(
        (line.role, line.outcome, line.count, line.basis) for line in CaseLine.objects.filter(**study)
    ) == [
        ("officer", "dismissed", 2, "stated"),
        ("officer", "not_stated", 18, "remainder"),
        ("police_staff", "dismissed", 4, "stated"),
        ("police_staff", "not_stated", 15, "remainder"),
    ]
    assert lines(**study, role="officer") == 20
    assert lines(**study, role="police_staff") == 19
    assert lines(**study) == 39
    assert lines(**study, outcome="dismissed") == 6
    # "subjected to internal disciplinary procedures" states no outcome: not stated, in its words.
    rest = CaseLine.objects.get(reference="bbw2011-northumbria-officers-rest")
    assert (rest.outcome, rest.outcome_wording) == (
        "not_stated",
        "disciplined (the Northern Echo); subjected to internal disciplinary procedures (Big Brother Watch)",
    )
    figures = ReportedFigure.objects.filter(
        request__slug="bbw-2011-police-databases", force__slug="northumbria"
    )
    by_source = {}
    for figure in figures:
        by_source.setdefault((figure.detail, figure.source.publisher), []).append(figure.value)
    assert by_source[("disciplined", "Big Brother Watch (via Scribd)")] == [39]
    assert sum(by_source[("disciplined", "The Northern Echo")]) == 39
    assert by_source[("employment_terminated", "Big Brother Watch (via Scribd)")] == [6]
    assert sum(by_source[("employment_terminated", "The Northern Echo")]) == 6
    # The published 39 is the return's total; the roles are on the lines, not repeated there.
    northumbria = FoiReturn.objects.get(request__slug="bbw-2011-police-databases", force__slug="northumbria")
    assert (northumbria.reported_total, northumbria.reported_officers, northumbria.reported_staff) == (
        39,
        None,
        None,
    )


def test_big_brother_watch_2011_lines_add_up_to_904_and_its_98_terminations():
    """Big Brother Watch: "904 Police officers and staff were subjected to internal disciplinary
    procedures for breaching the DPA"; "98 Police officers and staff had their employment
    terminated"; by force: "Merseyside (208), West Midlands (83), Humberside (62), South Yorkshire
    (42), and Northumbria (39)" and terminations "Kent (10), Merseyside (7), West Midlands (7),
    Northumbria (6), Derbyshire (5) and Humberside (5)"."""
    study = dict(foi_return__request__slug="bbw-2011-police-databases")
    assert lines(**study) == 904
    assert lines(**study, outcome="dismissed") == 98
    by_force = {}
    for line in CaseLine.objects.filter(**study).select_related("foi_return__force"):
        force = line.foi_return.force.slug if line.foi_return.force else ""
        total, dismissed = by_force.get(force, (0, 0))
        by_force[force] = (total + line.count, dismissed + (line.count if line.outcome == "dismissed" else 0))
    assert by_force == {
        "merseyside": (208, 7),
        "west-midlands": (83, 7),
        "humberside": (62, 5),
        "south-yorkshire": (42, 1),
        "northumbria": (39, 6),
        "derbyshire": (15, 5),  # Ilkeston Advertiser: 11 police + 4 civilians; 3 + 2 sacked
        "cleveland": (14, 4),  # the Northern Echo: 4 lost their job, "a further ten" disciplined
        "durham": (4, 1),  # Hartlepool Mail: one civilian lost their job, three others disciplined
        "": (437, 62),  # the study's totals less the named forces: Kent and Hampshire among them
    }
    # Each named force's total is the published one, so its lines are all of it.
    for force, (total, _) in by_force.items():
        if force:
            foi_return = FoiReturn.objects.get(request__slug="bbw-2011-police-databases", force__slug=force)
            assert foi_return.reported_total == total, force
    # No outcome is read into "subjected to internal disciplinary procedures".
    assert set(CaseLine.objects.filter(**study).values_list("outcome", flat=True)) == {
        "dismissed",
        "disciplined",
        "not_stated",
    }
    assert set(
        CaseLine.objects.filter(**study, outcome="disciplined").values_list(
            "foi_return__force__slug", flat=True
        )
    ) == {"cleveland", "durham"}
    # Hampshire and Kent stay figures: no lines.
    assert not CaseLine.objects.filter(**study, foi_return__force__slug__in=["hampshire", "kent"]).exists()


def test_big_brother_watch_2016_lines_by_force_add_up_to_2315():
    study = dict(foi_return__request__slug="bbw-2016-safe-in-police-hands")
    # Staines Informer: 86 + 51 + 29 + 16 + 9 + 2 + 4 + 3 + 2 = Surrey's 202.
    surrey = CaseLine.objects.filter(**study, foi_return__force__slug="surrey")
    assert sorted((line.outcome, line.count) for line in surrey) == [
        ("dismissed", 29),
        ("management_action", 86),
        ("no_further_action", 3),
        ("no_further_action", 16),
        ("not_stated", 2),
        ("not_stated", 4),
        ("resigned_retired", 2),
        ("resigned_retired", 9),
        ("written_or_verbal_warning", 51),
    ]
    assert {line.basis for line in surrey} == {"stated"}
    for slug, total in (("sussex", 63), ("durham", 13), ("dyfed-powys", 8), ("humberside", 168)):
        assert lines(**study, foi_return__force__slug=slug) == total
    # Dorset's 81 is the sum of answers the force says overlap: not attributed.
    assert lines(**study, foi_return__force__slug="dorset") == 0
    assert lines(**study, foi_return__force__isnull=True) == 1071
    assert lines(**study) == 2315


def test_psni_2016_is_15_and_30_officers_and_22_staff():
    psni = dict(foi_return__request__slug="psni-2016-computer-misuse")
    assert lines(**psni, role="officer") == 45
    assert lines(**psni, role="police_staff") == 22
    assert lines(**psni) == 67


# --- The loader keeps the caveats and the aliases honest ----------------------------------------


@pytest.fixture
def fixtures_copy(tmp_path):
    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, target)
    return target


def append(path, text):
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


@pytest.mark.parametrize(
    "file, row, message",
    [
        (
            "reference/additional_foi_figures.csv",
            "VPNOverview FOI (published 2021),Kent Police,kent,2020,data_breaches_all_types,7,,Kent Police | 7 |,"
            "https://thedailybrit.co.uk/uk-police-stations-reveal-the-extent-of-data-breaches,uncertain: a test row\n",
            "additional_foi_figures.csv line 106: its notes call it uncertain, but no rule in "
            "figure_caveats.csv says why.",
        ),
        (
            "curation/figure_caveats.csv",
            "vpnoverview-2021,kent,*,*,*,A rule for no figure.,\n",
            "figure_caveats.csv line 19: the rule reaches no figure.",
        ),
        (
            "curation/datasets.csv",
            "Some newspaper FOI,no-such-request,Because.\n",
            "datasets.csv line 3: unknown request 'no-such-request'.",
        ),
    ],
)
def test_bad_caveat_or_alias_names_file_and_line_and_writes_nothing(fixtures_copy, file, row, message):
    append(fixtures_copy / file, row)
    figures_before = ReportedFigure.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("load_reference_data", fixtures=fixtures_copy)
    assert str(error.value) == f"Nothing was loaded: {message}"
    assert ReportedFigure.objects.count() == figures_before
