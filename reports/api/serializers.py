"""The API's response shapes, for its OpenAPI schema only.

The rows themselves are the downloads' rows (reports/exports.py), never re-serialised here: these
classes say what each field is, and tests/api/test_schema.py checks every response against them.
Each row serializer is built from the column list its download uses, so a column added there and
not described here fails that test.
"""

from rest_framework import serializers

from cases.models import FoiReturn, Offence, Outcome, Role, System, Unit
from reports import exports

FIGURE_KINDS = ["exact", "at least", "not stated", "filtered out"]
FIGURE_NOTE = (
    " Empty (null) when not known: never 0 for unknown. `{name}_is` says whether the number is exact "
    "or a lower bound ('at least')."
)


def _text(description: str, **kwargs):
    return serializers.CharField(help_text=description, allow_null=True, allow_blank=True, **kwargs)


def _whole(description: str):
    return serializers.IntegerField(help_text=description, allow_null=True)


def _number(description: str):
    return serializers.FloatField(help_text=description, allow_null=True)


def _date(description: str):
    return serializers.DateField(help_text=description, allow_null=True)


def _figure(fields: dict, name: str, description: str) -> None:
    """A Figure as the downloads write it: `name` (the number, or null) and `name_is` (its kind)."""
    fields[name] = _whole(description + FIGURE_NOTE.format(name=name))
    fields[f"{name}_is"] = serializers.ChoiceField(
        choices=FIGURE_KINDS, help_text=f"Whether `{name}` is exact, a lower bound, or not known."
    )


def _serializer(name: str, fields: dict, doc: str) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), {**fields, "__doc__": doc})


class MetaSerializer(serializers.Serializer):
    """Which data the response reflects: a numbered release, or the live data at a version."""

    release = serializers.IntegerField(
        allow_null=True, help_text="The release read (?release=<number>); null: the live data."
    )
    dataset_version = serializers.CharField(
        help_text="The version of the data read: it changes whenever the data does."
    )


class ErrorsSerializer(serializers.Serializer):
    """Every problem with the request, in the same words as the pages' 400 page."""

    errors = serializers.ListField(child=serializers.CharField())


# --- Rows: one per download's column list ----------------------------------------------------

# Each download column's type; every other column is text.
COLUMN_TYPES = {
    "line_id": lambda description: serializers.IntegerField(help_text=description),
    "figure_id": lambda description: serializers.IntegerField(help_text=description),
    "return_id": lambda description: serializers.IntegerField(help_text=description),
    "count": lambda description: serializers.IntegerField(help_text=description),
    "force_lines_total": _whole,
    "lines_total": _whole,
    "value": _whole,
    "period_start": _date,
    "period_end": _date,
    "received_on": _date,
    "status": lambda description: serializers.ChoiceField(
        choices=FoiReturn.Status.values, help_text=description
    ),
}


def _columns(columns) -> dict:
    return {name: COLUMN_TYPES.get(name, _text)(description) for name, description in columns}


CaseLineSerializer = _serializer(
    "CaseLineSerializer",
    _columns((column.name, column.description) for column in exports.COLUMNS),
    "One case line: the columns of cases.csv, in the same words (docs/data.md). A text cell that a "
    "spreadsheet would run starts with an apostrophe, as in the downloads.",
)
FigureSerializer = _serializer(
    "FigureSerializer",
    _columns(exports.FIGURE_COLUMNS),
    "A figure exactly as a source published it: the columns of figures.csv.",
)
ReturnSerializer = _serializer(
    "ReturnSerializer",
    _columns(exports.RETURN_COLUMNS),
    "A force's answer to one request (approved returns only), with what its lines add up to.",
)
FORCE_ROW_FIGURES = {
    "cases": "Cases in the view's unit.",
    "officers": "Of them, police officers.",
    "staff": "Of them, police staff.",
    "dismissed": "Of them, dismissed.",
    "resigned": "Of them, resigned or retired.",
    "other_outcomes": "Of them, with another outcome.",
    "outcome_not_stated": "Of them, whose outcome the sources do not state.",
}
_force_row_fields = {
    "row": serializers.ChoiceField(
        choices=list(exports.ROW_KINDS),
        help_text="What the row is: "
        + "; ".join(f"{kind}: {meaning}" for kind, meaning in exports.ROW_KINDS.items())
        + ".",
    ),
    "force": _text("The force's slug; empty for the cases a study does not attribute to a force."),
    "force_name": _text("The force's name."),
    "request": _text("The study (its slug)."),
    "request_title": _text("The study's title."),
    "period": _text("The study's period, as the source states it."),
    "unit": _text("What one counted case is (code)."),
    "unit_label": _text("What one counted case is, in words."),
}
for _name, _description in FORCE_ROW_FIGURES.items():
    _figure(_force_row_fields, _name, _description)
_force_row_fields |= {
    "complete": serializers.ChoiceField(
        choices=["yes", "no"], help_text="yes: every cell of the row is exactly known."
    ),
    "per_1000_headcount": _number("Cases per 1,000 of the force's headcount; null: no rate."),
    "per_1000_headcount_a_year": _number("The same, a year."),
    "headcount": _whole("The force's headcount the rate is of."),
    "headcount_date": _date("The date of that headcount."),
    "period_years": _number("The study's period in years."),
    "rate_note": _text("What the rate is, or why there is none, in words."),
    "source_titles": _text("The sources' titles, separated by ' | '."),
    "source_urls": _text("The sources' addresses, separated by ' '."),
}
ForceRowSerializer = _serializer(
    "ForceRowSerializer",
    _force_row_fields,
    "One return (a force's answer to one study) in the view: the rows of /dashboard/forces.csv.",
)

BREAKDOWN_CODES = {
    "offence": Offence.values,
    "outcome": Outcome.values,
    "role": Role.values,
    "system": System.values,
}
BREAKDOWN_SERIALIZERS = {}
for _dimension, _codes in BREAKDOWN_CODES.items():
    _fields = {
        _dimension: serializers.ChoiceField(choices=_codes, help_text=f"The {_dimension} (code)."),
        f"{_dimension}_label": _text(f"The {_dimension}, in words."),
        "unit": _text("What one counted case is (code)."),
        "unit_label": _text("What one counted case is, in words."),
    }
    _figure(_fields, "cases", f"Cases with this {_dimension}.")
    _fields["forces"] = _whole("Named forces with at least one such case; null on the 'not stated' row.")
    BREAKDOWN_SERIALIZERS[f"{_dimension}s"] = _serializer(
        f"{_dimension.capitalize()}RowSerializer",
        _fields,
        f"Cases by {_dimension}: the rows of /dashboard/{_dimension}s.csv ('not stated' last, set apart).",
    )

_headline_fields = {
    "unit": _text("What one counted case is (code): every figure here counts it."),
    "unit_label": _text("What one counted case is, in words."),
}
for _name, _description in {
    "cases": "Cases in the view.",
    "officers": "Of them, police officers.",
    "staff": "Of them, police staff.",
    "dismissed": "Of them, dismissed.",
    "resigned": "Of them, resigned or retired.",
    "other": "Of them, with another outcome.",
    "not_stated": "Of them, whose outcome the sources do not state.",
    "not_attributed": "Of them, the cases the sources attribute to no force.",
}.items():
    _figure(_headline_fields, _name, _description)
_headline_fields |= {
    "named_forces": serializers.IntegerField(help_text="Forces named in the view."),
    "studies": serializers.ListField(child=serializers.CharField(), help_text="The studies in the view."),
}
HeadlineSerializer = _serializer(
    "HeadlineSerializer", _headline_fields, "The dashboard's headline figures for the filters, in one unit."
)

ForceListRowSerializer = _serializer(
    "ForceListRowSerializer",
    {
        "force": _text("The force's slug."),
        "name": _text("The force's name."),
        "short_name": _text("Its short name."),
        "region": _text("Its region (Home Office grouping)."),
        "country": _text("Its country."),
        "kind": _text("Territorial, national or special."),
        "ons_code": _text("Its ONS code; empty: none."),
        "studies_with_lines": serializers.IntegerField(help_text="Studies holding case lines for it."),
        "published_figures": serializers.IntegerField(help_text="Published figures naming it."),
        "units_counted": _text("What its studies count, separated by '; ' (never added together)."),
    },
    "A force: the rows of /forces.csv.",
)

StudyRowSerializer = _serializer(
    "StudyRowSerializer",
    {
        "request": _text("The study (its slug)."),
        "title": _text("Its title."),
        "requester": _text("Who asked."),
        "period": _text("The period as the source states it."),
        "period_start": _date("First day of the period; null: not dated."),
        "period_end": _date("Last day of the period; null: not dated."),
        "year_basis": _text("Calendar or financial years, or exact dates."),
        "unit": _text("What one counted case is (code)."),
        "unit_label": _text("What one counted case is, in words."),
        "counting_unit_as_worded": _text("What is counted, in the sources' words."),
        "forces_asked": _whole("Forces asked; null: not stated."),
        "forces_answered": _whole("Forces that answered; null: not stated."),
        "national_total_as_published": _text("The national total as published ('over 70'); null: none."),
        "national_total_unit": _text("What that total counts."),
        "national_total_period": _text("The period of that total."),
        "national_total_covers": _text(
            "Whom that total covers, as the source says ('22 responding forces')."
        ),
        "held_in_lines": _whole("The cases we hold as lines; null: not known, or none."),
        "held_in_lines_is": serializers.ChoiceField(
            choices=[*FIGURE_KINDS, "not held as lines"], help_text="Whether that number is exact."
        ),
        "source_urls": _text("The study's sources, separated by ' '."),
    },
    "A study or FOI request: the rows of /requests.csv.",
)


# --- Envelopes -----------------------------------------------------------------------------


def page_of(name: str, row: type[serializers.Serializer], doc: str) -> type[serializers.Serializer]:
    """A cursor page of rows, with the data's version."""
    return _serializer(
        name,
        {
            "meta": MetaSerializer(),
            "next": serializers.URLField(allow_null=True, help_text="The next page; null: this is the last."),
            "previous": serializers.URLField(
                allow_null=True, help_text="The previous page; null: the first."
            ),
            "results": row(many=True),
        },
        doc,
    )


def list_of(name: str, row: type[serializers.Serializer], doc: str) -> type[serializers.Serializer]:
    """Every row at once (a short list), with the data's version."""
    return _serializer(name, {"meta": MetaSerializer(), "results": row(many=True)}, doc)


CaseLinePageSerializer = page_of("CaseLinePageSerializer", CaseLineSerializer, "A page of case lines.")
FigurePageSerializer = page_of("FigurePageSerializer", FigureSerializer, "A page of published figures.")
ReturnPageSerializer = page_of("ReturnPageSerializer", ReturnSerializer, "A page of returns.")
ForceListSerializer = list_of("ForceListSerializer", ForceListRowSerializer, "Every force.")
StudyListSerializer = list_of("StudyListSerializer", StudyRowSerializer, "Every public study.")
TABLE_SERIALIZERS = {
    "forces": list_of(
        "ForceTableSerializer", ForceRowSerializer, "The dashboard's table by force and study."
    ),
    **{
        table: list_of(f"{table.capitalize()}TableSerializer", row, f"The dashboard's table by {table[:-1]}.")
        for table, row in BREAKDOWN_SERIALIZERS.items()
    },
}


class HeadlinePageSerializer(serializers.Serializer):
    """The dashboard's headline."""

    meta = MetaSerializer()
    result = HeadlineSerializer()


class UnitViewSerializer(serializers.Serializer):
    """A force's figures in one unit: each study a row, and the total the page's table shows."""

    unit = serializers.ChoiceField(choices=Unit.values)
    unit_label = serializers.CharField()
    rows = ForceRowSerializer(many=True)
    total = HeadlineSerializer()


class WorkforceSerializer(serializers.Serializer):
    """A Home Office workforce snapshot (full-time equivalents or headcount)."""

    date = serializers.DateField()
    measure = serializers.CharField()
    measure_label = serializers.CharField()
    officers = _number("Officers; null: not available.")
    staff = _number("Staff; null: not available.")
    pcsos = _number("PCSOs; null: not available.")
    designated_officers = _number("Designated officers; null: not available.")
    total = _number("Total of the published columns.")
    source = serializers.CharField()


class SourceSerializer(serializers.Serializer):
    """A published document figures are read from."""

    title = serializers.CharField()
    publisher = serializers.CharField()
    url = serializers.URLField()
    published_on = _date("When it was published; null: not stated.")


class ForceSerializer(serializers.Serializer):
    """A force's facts."""

    force = serializers.CharField(help_text="The force's slug.")
    name = serializers.CharField()
    short_name = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    ons_code = serializers.CharField(allow_blank=True)


class ForceProfileSerializer(serializers.Serializer):
    """What a force's page shows: its figures in every study, unit by unit, its answers, the
    figures published about it, its workforce and the sources."""

    force = ForceSerializer()
    units = UnitViewSerializer(many=True)
    returns = ReturnSerializer(many=True)
    figures = FigureSerializer(many=True)
    workforce = WorkforceSerializer(many=True)
    sources = SourceSerializer(many=True)


class ForceDetailSerializer(serializers.Serializer):
    meta = MetaSerializer()
    result = ForceProfileSerializer()


class ReconciliationSerializer(serializers.Serializer):
    """A published national total against the lines held, named and not attributed."""

    label = serializers.CharField(help_text="What the total counts.")
    reported = _whole("The total as published; null: no number given.")
    reported_qualifier = serializers.CharField(help_text="exact, over, at_least or no_number.")
    reported_as_published = serializers.CharField(help_text="The total in words as published.")
    attributed = serializers.IntegerField(help_text="Held in lines of named forces.")
    named_forces = serializers.IntegerField(help_text="Named forces holding such lines.")
    unattributed = serializers.IntegerField(help_text="Held in lines attributed to no force.")
    reconciles = serializers.BooleanField(help_text="The exact published total equals what is held.")


class StudySerializer(serializers.Serializer):
    """A study's facts, as its page lists them."""

    request = serializers.CharField(help_text="Its slug.")
    title = serializers.CharField()
    requester = serializers.CharField(allow_blank=True)
    question = serializers.CharField(allow_blank=True)
    asked_on = _date("Null: not stated.")
    published_on = _date("Null: not stated.")
    period = serializers.CharField()
    period_start = _date("Null: not dated.")
    period_end = _date("Null: not dated.")
    year_basis = serializers.CharField()
    unit = serializers.ChoiceField(choices=Unit.values)
    unit_label = serializers.CharField()
    counting_unit_as_worded = serializers.CharField()
    forces_asked = _whole("Null: not stated.")
    forces_answered = _whole("Null: not stated.")
    forces_answered_not_named = _whole("Forces that answered but the sources do not name; null: not known.")
    notes = serializers.CharField(allow_blank=True)
    sources = SourceSerializer(many=True)


class RequestProfileSerializer(serializers.Serializer):
    """What a study's page shows: its facts, the dashboard's rows for study=<slug> with their total,
    how the published totals reconcile, the forces' answers with their status, and every figure."""

    request = StudySerializer()
    rows = ForceRowSerializer(many=True)
    total = HeadlineSerializer()
    reconciliations = ReconciliationSerializer(many=True)
    returns = ReturnSerializer(many=True)
    figures = FigureSerializer(many=True)


class RequestDetailSerializer(serializers.Serializer):
    meta = MetaSerializer()
    result = RequestProfileSerializer()


class IndexSerializer(serializers.Serializer):
    meta = MetaSerializer()
    endpoints = serializers.DictField(child=serializers.URLField())
