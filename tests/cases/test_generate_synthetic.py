"""generate_synthetic: SYNTHETIC benchmark data in a *_bench database of its own, never the app's."""

import hashlib
import io
import re
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Sum

from cases.models import CaseLine, FoiRequest, FoiReturn, ImportBatch, Source
from cases.synthetic import bench_database_drop, bench_database_exists, database_switched
from forces.models import Force

BENCH = "misuse_tracker_pytest_bench"
SEEDED = "misuse_tracker_pytest_seed_bench"
LINES = 3_000
CODED = ["role", "offence", "system", "outcome", "criminal_outcome"]


@pytest.fixture(scope="module")
def database_access(django_db_blocker):
    # Outside any test transaction: the command makes, switches to and drops databases.
    with django_db_blocker.unblock():
        yield


def generate(name: str, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_synthetic", database_name=name, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def built(database_access):
    output = generate(BENCH, lines=LINES, replace=True)
    yield output
    bench_database_drop(name=BENCH)


@contextmanager
def bench(name: str = BENCH):
    with database_switched(name=name):
        yield


def synthetic_lines():
    return CaseLine.objects.filter(foi_return__request__title__startswith="SYNTHETIC")


def checksum() -> str:
    """Every value of every synthetic line, its return, study, force and source, in line order."""
    rows = (
        synthetic_lines()
        .order_by("id")
        .values_list(
            "foi_return__request__slug",
            "foi_return__force__slug",
            "foi_return__status",
            "foi_return__reported_total",
            "count",
            *(name for coded in CODED for name in (coded, f"{coded}_wording")),
            "period_label",
            "period_start",
            "period_end",
            "summary",
            "summary_publishable",
            "notes",
            "sources__url",
        )
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def test_summary_names_lines_returns_studies_and_seconds(built):
    out, err = built
    assert re.fullmatch(
        r"Wrote 3,000 SYNTHETIC case lines \(3,330 people\) in 290 returns of 6 studies into "
        r"misuse_tracker_pytest_bench in \d+\.\d s \(the synthetic data in \d+\.\d s\)\.\n",
        out,
    )
    assert "SYNTHETIC lines [##############################] 3,000/3,000\n" in err


def test_writes_exactly_the_lines_asked_for_beside_the_reference_data(built):
    with bench():
        assert synthetic_lines().count() == LINES
        # Every line the reference data did not load (it keys each of its own) is synthetic.
        assert CaseLine.objects.filter(reference__isnull=True).count() == LINES
        assert CaseLine.objects.exclude(reference__isnull=True).count() == 100
        assert (
            CaseLine.objects.filter(reference__isnull=True)
            .exclude(foi_return__request__title__startswith="SYNTHETIC")
            .count()
            == 0
        )


def test_everything_generated_says_synthetic(built):
    with bench():
        studies = FoiRequest.objects.filter(slug__startswith="synthetic-")
        assert studies.count() == 6
        assert not studies.exclude(title__startswith="SYNTHETIC").exists()
        assert not studies.exclude(counting_unit__startswith="SYNTHETIC").exists()
        sources = Source.objects.filter(url__startswith="https://example.org/synthetic/")
        assert sources.count() == 6 + 279  # a report per study, a reply per force that replied
        assert not sources.exclude(title__startswith="SYNTHETIC").exists()
        assert set(sources.values_list("publisher", flat=True)) == {
            "SYNTHETIC data (generate_synthetic): not a real publisher"
        }
        assert (
            not Source.objects.filter(requests__in=studies)
            .exclude(url__startswith="https://example.org/synthetic/")
            .exists()
        )
        batches = ImportBatch.objects.all()
        assert [b.file_name for b in batches.order_by("id")][0] == (
            "SYNTHETIC synthetic-people-disciplined-2007-2011 (generated, seed 2026)"
        )
        assert sum(batches.values_list("rows", flat=True)) == LINES
        assert not synthetic_lines().exclude(notes="SYNTHETIC").exists()


def test_studies_count_different_units_over_2007_to_2025(built):
    with bench():
        studies = list(
            FoiRequest.objects.filter(slug__startswith="synthetic-").values_list(
                "unit", "period_start__year", "period_end__year"
            )
        )
    assert len({unit for unit, _, _ in studies}) == 5
    assert min(start for _, start, _ in studies) == 2007
    assert max(end for _, _, end in studies) == 2025


def test_every_return_is_public_and_approved_by_a_second_person(built):
    with bench():
        returns = FoiReturn.objects.filter(request__slug__startswith="synthetic-")
        assert returns.count() == 290
        assert returns.public().count() == 290
        assert set(returns.values_list("approved_by__username", flat=True)) == {"synthetic-reviewer"}
        assert set(ImportBatch.objects.values_list("imported_by__username", flat=True)) == {
            "synthetic-importer"
        }
        assert synthetic_lines().public().count() == LINES
        assert (
            FoiReturn.history.filter(via="review", history_user__username="synthetic-reviewer").count() == 290
        )


def test_every_reference_force_has_lines_and_the_met_most(built):
    with bench():
        per_force = dict(
            synthetic_lines()
            .filter(foi_return__force__isnull=False)
            .values_list("foi_return__force__slug")
            .annotate(lines=Count("id"))
        )
        assert set(per_force) == set(Force.objects.values_list("slug", flat=True))
        assert len(per_force) == 48
        assert max(per_force, key=per_force.get) == "metropolitan"
        assert synthetic_lines().filter(foi_return__force__isnull=True).exists()


def test_coded_fields_in_plausible_proportions(built):
    with bench():
        lines = synthetic_lines()
        for coded in CODED:
            not_stated = lines.filter(**{coded: "not_stated"}).count() / LINES
            assert 0.25 <= not_stated <= 0.45, (coded, not_stated)
            assert lines.values(coded).distinct().count() >= 3
        assert lines.filter(count=1).count() / LINES > 0.9
        assert lines.filter(count__gt=1).exists()
        # Wordings go with their code, and most lines inherit the study's period.
        assert lines.filter(
            offence="unauthorised_access", offence_wording="Accessed PNC for personal reasons"
        ).exists()
        assert (
            not lines.filter(outcome="dismissed")
            .exclude(outcome_wording__in=["Dismissed", "Dismissed without notice"])
            .exists()
        )
        assert lines.filter(period_label="").count() / LINES > 0.9
        assert not lines.exclude(period_label="").filter(period_start__isnull=True).exists()
        assert not lines.exclude(basis="stated").exists()


def test_lines_of_a_return_are_together_and_cite_its_reply(built):
    with bench(), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM (
                SELECT foi_return_id, id - row_number() OVER (PARTITION BY foi_return_id ORDER BY id) AS run
                FROM cases_caseline WHERE reference IS NULL
            ) AS lines GROUP BY foi_return_id HAVING count(DISTINCT run) > 1
            """
        )
        assert cursor.fetchall() == []
        lines = synthetic_lines()
        assert lines.annotate(sources_cited=Count("sources")).filter(sources_cited=1).count() == LINES
        cited = dict(lines.values_list("id", "sources"))
        reply = dict(FoiReturn.sources.through.objects.values_list("foireturn_id", "source_id"))
        assert all(
            cited[line] == reply[foi_return] for line, foi_return in lines.values_list("id", "foi_return")
        )
        assert not lines.exclude(import_batch=F("foi_return__import_batch")).exists()


def test_some_returns_read_exact_and_the_rest_at_least(built):
    with bench():
        returns = FoiReturn.objects.filter(request__slug__startswith="synthetic-").annotate(
            people=Sum("lines__count")
        )
        stated = returns.filter(reported_total__isnull=False)
        assert 0.3 < stated.count() / returns.count() < 0.6
        assert all(r.reported_total == r.people for r in stated)
        assert returns.filter(reported_total__isnull=True, people__gt=0).exists()
        assert set(returns.values_list("status", flat=True)) == {"answered", "partial", "refused", "no_reply"}
        assert not returns.filter(status__in=["refused", "no_reply"], people__gt=0).exists()


def test_same_seed_gives_the_same_data_and_another_seed_other_data(built):
    with bench():
        first = checksum()
    try:
        generate(SEEDED, lines=LINES, seed=2026, replace=True)
        with bench(SEEDED):
            assert checksum() == first
        generate(SEEDED, lines=LINES, seed=7, replace=True)
        with bench(SEEDED):
            assert synthetic_lines().count() == LINES
            assert checksum() != first
    finally:
        bench_database_drop(name=SEEDED)


def test_existing_database_is_refused_without_replace(built):
    with pytest.raises(CommandError) as error:
        generate(BENCH, lines=10)
    assert str(error.value) == (
        "Nothing was written: the database “misuse_tracker_pytest_bench” exists already. "
        "Pass --replace to drop it and build it again."
    )
    with bench():
        assert synthetic_lines().count() == LINES


@pytest.mark.parametrize(
    "name", ["misuse_tracker", "misuse_tracker_benchmark", "misuse_tracker_bench_old", "bench", "test_bench2"]
)
def test_name_not_ending_in_bench_is_refused_and_nothing_made(database_access, name):
    existed = bench_database_exists(name=name)
    with pytest.raises(CommandError) as error:
        generate(name, lines=10, replace=True)
    assert str(error.value) == (
        f"Nothing was written: “{name}” does not end in “_bench”. Synthetic data goes only into a "
        "benchmark database: give a name such as misuse_tracker_bench."
    )
    assert bench_database_exists(name=name) == existed


def test_name_that_is_not_plain_is_refused(database_access):
    name = 'x"; DROP DATABASE misuse_tracker; --_bench'
    with pytest.raises(CommandError) as error:
        generate(name, lines=10)
    assert str(error.value) == (
        f"Nothing was written: “{name}” is not a plain database name. Use lower-case letters, digits and "
        "underscores (at most 63), ending in “_bench”."
    )


def test_the_apps_own_database_is_refused_even_if_named_bench(database_access):
    original = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = "misuse_tracker_pytest_app_bench"
    try:
        with pytest.raises(CommandError) as error:
            generate("misuse_tracker_pytest_app_bench", lines=10, replace=True)
    finally:
        connection.settings_dict["NAME"] = original
    assert str(error.value) == (
        "Nothing was written: “misuse_tracker_pytest_app_bench” is the app's own database. Synthetic data "
        "goes only into a database of its own: give another name."
    )


@pytest.mark.parametrize(
    "options, message",
    [
        ({"lines": 0}, "Nothing was written: --lines must be 1 or more, not 0."),
        ({"lines": 10, "seed": -1}, "Nothing was written: --seed must be 0 or more, not -1."),
    ],
)
def test_bad_sizes_are_refused_and_nothing_made(database_access, options, message):
    with pytest.raises(CommandError) as error:
        generate("misuse_tracker_pytest_sizes_bench", **options)
    assert str(error.value) == message
    assert not bench_database_exists(name="misuse_tracker_pytest_sizes_bench")
