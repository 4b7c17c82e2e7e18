"""How Misuse Tracker words a figure and names a study, once, for charts and templates alike.

- `count_phrase(figure, unit)`: "at least 1 person disciplined", "237 people disciplined",
  "1 data-breach case", "— people disciplined" (not known), in the figure's own reading
  (reports/engine.py `Figure.display`): a count reads the same in a chart's hover as in a table.
- `study_name(foi_request)`: a study's short name with its year ("Big Brother Watch, 2011"),
  so two studies by one publisher are never told apart by a cut-off title.
- `studies_with_periods(studies)`: each study paired with its period, each written once.
"""

import re

from cases.models import Unit

# Each counting unit's noun, one and many. A unit missing here reads in its label's words.
NOUNS = {
    Unit.PEOPLE_DISCIPLINED: ("person disciplined", "people disciplined"),
    Unit.PEOPLE_INVESTIGATED: ("person investigated", "people investigated"),
    Unit.MISCONDUCT_ALLEGATIONS: ("misconduct allegation", "misconduct allegations"),
    Unit.DATA_BREACHES: ("data-breach case", "data-breach cases"),
    Unit.ALL_DATA_BREACHES: (
        "recorded data breach (accidents included)",
        "recorded data breaches (accidents included)",
    ),
    Unit.INVESTIGATIONS: ("investigation", "investigations"),
    Unit.PEOPLE_CONVICTED_OR_CAUTIONED: ("person convicted or cautioned", "people convicted or cautioned"),
    Unit.PEOPLE: ("person (see the wording)", "people (see the wording)"),
    Unit.FORCES: ("force", "forces"),
}


def unit_noun(unit: str, count: int | None) -> str:
    """The unit's noun for `count` of it: singular for exactly 1, plural otherwise (0, 2, unknown)."""
    one, many = NOUNS.get(unit, (None, None))
    if one is None:
        label = Unit(unit).label.lower() if unit in Unit.values else str(unit)
        return label
    return one if count == 1 else many


def count_phrase(figure, unit: str) -> str:
    """A figure with its unit's noun: "237 people disciplined", "at least 1 person disciplined".

    `figure` is an engine Figure (its `display` is the one reading of a count: "1,234",
    "at least 9", "—") or a plain int, read as exact."""
    if isinstance(figure, int):
        return f"{figure:,} {unit_noun(unit, figure)}"
    return f"{figure.display} {unit_noun(unit, figure.value)}"


_TRAILING_NOTE = re.compile(r"\s*\(([^()]*)\)\s*$")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def _year(foi_request) -> int | None:
    """The year the study was published (or asked), else the one year its title's note names."""
    for when in (foi_request.published_on, foi_request.asked_on):
        if when:
            return when.year
    note = _TRAILING_NOTE.search(foi_request.title)
    years = set(_YEAR.findall(note.group(1))) if note else set()
    return int(years.pop()) if len(years) == 1 else None


def study_name(foi_request) -> str:
    """A study's short name: its title before the colon (or without its closing note), with the
    year it appeared where known: "Parliament Street, 2019", "West Midlands Police FOI 4624/14"."""
    title = foi_request.title.strip()
    head = title.split(":", 1)[0].strip() if ":" in title else _TRAILING_NOTE.sub("", title).strip()
    head = head or title
    year = _year(foi_request)
    if year is None or str(year) in head:
        return head
    return f"{head}, {year}"


def study_names(studies) -> dict[int, str]:
    """Short names of several studies, by id; where two would read alike, their full titles."""
    short = {study.id: study_name(study) for study in studies}
    seen: dict[str, int] = {}
    for name in short.values():
        seen[name] = seen.get(name, 0) + 1
    return {study.id: short[study.id] if seen[short[study.id]] == 1 else study.title for study in studies}


def period_text(label: str) -> str:
    """A period as the site writes it: a range with an en dash ("2007–2010", not "2007 to 2010"
    or "2007-2010") where it is a plain range of years or financial years; else as stated."""
    text = label.strip()
    match = re.fullmatch(
        r"((?:FY)?\d{4}(?:/\d\d)?)\s*(?:-|–|to)\s*((?:FY)?\d{4}(?:/\d\d)?)(\s*\([^()]*\))?", text
    )
    return f"{match.group(1)}–{match.group(2)}{match.group(3) or ''}" if match else text


def studies_with_periods(studies) -> str:
    """Each study by its short name with its period, each once: "Parliament Street, 2019
    (FY2017/18–FY2018/19); Cleveland Police FOI 11288, 2019 (FY2017/18–FY2018/19)"."""
    names = study_names(studies)
    return "; ".join(f"{names[study.id]} ({period_text(study.period_label)})" for study in studies)
