"""The loader command: clear messages for bad reference files, and nothing half-written."""

import shutil

import pytest
from django.core.management import CommandError, call_command

from cases.models import CaseLine, Source
from tests.conftest import FIXTURES_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixtures_copy(tmp_path):
    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, target)
    return target


def append(path, text):
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_second_run_says_already_up_to_date(capsys):
    call_command("load_reference_data")
    assert "Already up to date." in capsys.readouterr().out


@pytest.mark.parametrize(
    "file, row, message",
    [
        (
            "curation/case_lines.csv",
            "bad-line,parliament-street-2019,surrey,0,not_stated,,not_stated,,not_stated,,not_stated,,not_stated,,,,,false,stated,,,\n",
            "case_lines.csv line 102: count must be a whole number of at least 1.",
        ),
        (
            "curation/case_lines.csv",
            "bad-line,parliament-street-2019,surrey,1,sergeant,,not_stated,,not_stated,,not_stated,,not_stated,,,,,false,stated,,,\n",
            "case_lines.csv line 102: 'sergeant' is not one of officer, police_staff, pcso, special_constable, not_stated.",
        ),
        (
            "curation/case_lines.csv",
            "bad-line,parliament-street-2019,kent,1,not_stated,,not_stated,,not_stated,,not_stated,,not_stated,,,,,false,stated,,,\n",
            "case_lines.csv line 102: no return for request 'parliament-street-2019' and force 'kent' in returns.csv.",
        ),
        (
            "curation/returns.csv",
            "parliament-street-2019,atlantis,answered,,,,\n",
            "returns.csv line 76: unknown force slug 'atlantis'.",
        ),
        (
            "curation/requests.csv",
            "new-study,,New,,,,,p,,,fortnightly,u,,,,\n",
            "requests.csv line 21: 'fortnightly' is not one of calendar, financial, dates, not_stated.",
        ),
        (
            "reference/other_police_data_misuse_foi.csv",
            "Unknown study,Kent Police,kent,2020,cases_total,1,,q,https://example.org/x,\n",
            "other_police_data_misuse_foi.csv line 89: dataset 'Unknown study' has no request in requests.csv or datasets.csv.",
        ),
        *(
            (
                "reference/additional_foi_figures.csv",
                "Big Brother Watch 'Safe in Police Hands?' (July 2016),Humberside Police,humberside,"
                f"2011-06-01 to 2015-12-31,resigned,{value},,Five resigned.,"
                "http://graemeroberts.co.uk/graemeroberts/humberside-polices-168-data-breaches-puts-it-at-number-3-for-offending-forces/,\n",
                "additional_foi_figures.csv line 106: value must be a whole number of 0 or more.",
            )
            for value in ("abc", '"1,300"', "-2", "2.5")
        ),
        (
            "curation/returns.csv",
            "parliament-street-2019,kent,answered,,,12x,,\n",
            "returns.csv line 76: reported_total must be a whole number of 0 or more.",
        ),
    ],
)
def test_bad_reference_row_names_file_and_line_and_writes_nothing(fixtures_copy, file, row, message):
    append(fixtures_copy / file, row)
    # Something the loader would write first, before reaching the bad row:
    append(fixtures_copy / "curation/sources.csv", "https://example.org/new,New,Pub,blog,,\n")
    lines_before = CaseLine.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("load_reference_data", fixtures=fixtures_copy)
    assert str(error.value) == f"Nothing was loaded: {message}"
    assert not Source.objects.filter(url="https://example.org/new").exists()
    assert CaseLine.objects.count() == lines_before


def test_missing_fixtures_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Nothing was loaded: .*No such file"):
        call_command("load_reference_data", fixtures=tmp_path / "nowhere")
