"""The one set of public filters over case lines. Every table, chart and download uses it.

The query string is the permalink: ?study=…&force=…&outcome=… . A value the filter does not
accept, or a parameter that is not a filter, is an error (400) that names the filter and what it
accepts; nothing is ever silently ignored.
"""

import copy

import django_filters as df
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db.models import DateField, Q
from django.db.models.functions import Coalesce

from cases.models import (
    CaseLine,
    CriminalOutcome,
    FoiRequest,
    FoiReturn,
    Offence,
    Outcome,
    ReportedFigure,
    Role,
    System,
    Unit,
)
from forces.models import Force

YEAR_MIN, YEAR_MAX = 2000, 2100
# Parameters that shape a page without filtering its rows.
PRESENTATION_PARAMS = {"sort", "page", "excel"}
# Filters that test a line's return (its study, force or place), not the line itself; with the
# unit, they are what `returns()` applies.
RETURN_FILTERS = ("study", "force", "region", "country")


def _places() -> tuple[list, list]:
    """Region and country choices, in one query."""
    pairs = set(Force.objects.values_list("region", "country").distinct())
    regions = sorted({region for region, _ in pairs})
    countries = sorted({country for _, country in pairs if country})
    return [(r, r) for r in regions], [(c, c) for c in countries]


# Units that are only ever published figures, never case lines: a view of lines in them would
# be empty and read as "not stated", when the sources do state them (at /figures/).
FIGURES_ONLY_UNITS = {
    Unit.ALL_DATA_BREACHES: "all recorded data breaches (accidents included) are a different thing "
    "from staff misuse and are held only as published figures",
    Unit.FORCES: "counts of forces are held only as published figures",
}


class CaseLineFilterForm(forms.Form):
    def clean_unit(self):
        unit = self.cleaned_data.get("unit")
        # (The figures' own filter takes several units, all of them: only a view of lines refuses.)
        if isinstance(unit, str) and unit in FIGURES_ONLY_UNITS:
            raise forms.ValidationError(
                f"{FIGURES_ONLY_UNITS[unit][:1].upper()}{FIGURES_ONLY_UNITS[unit][1:]}, never as case lines: "
                f"see /figures/?unit={unit}"
            )
        return unit

    def clean(self):
        cleaned = super().clean()
        year_from, year_to = cleaned.get("year_from"), cleaned.get("year_to")
        if year_from is not None and year_to is not None and year_from > year_to:
            self.add_error("year_to", f"The period must end on or after it starts ({year_from}).")
        return cleaned


DEFAULT_UNIT = Unit.PEOPLE_DISCIPLINED


class CaseLineFilter(df.FilterSet):
    """The public filters. A view is always of one counting unit (`unit`): where none is given,
    the unit of the chosen studies if they share one, else people disciplined."""

    # Every filter follows a forward foreign key (line → return → request or force), so no row
    # can match twice: distinct=False spares PostgreSQL a sort of every matching row.
    study = df.ModelMultipleChoiceFilter(
        distinct=False,
        label="FOI request or study",
        field_name="foi_return__request__slug",
        to_field_name="slug",
        queryset=FoiRequest.objects.public(),
    )
    year_from = df.NumberFilter(
        label="From year", method="filter_year_from", min_value=YEAR_MIN, max_value=YEAR_MAX
    )
    year_to = df.NumberFilter(
        label="To year", method="filter_year_to", min_value=YEAR_MIN, max_value=YEAR_MAX
    )
    force = df.ModelMultipleChoiceFilter(
        distinct=False,
        label="Force",
        field_name="foi_return__force__slug",
        to_field_name="slug",
        queryset=Force.objects.all(),
    )
    region = df.MultipleChoiceFilter(
        distinct=False, label="Region", field_name="foi_return__force__region", choices=[]
    )
    country = df.MultipleChoiceFilter(
        distinct=False, label="Country", field_name="foi_return__force__country", choices=[]
    )
    role = df.MultipleChoiceFilter(distinct=False, label="Role", choices=Role.choices)
    offence = df.MultipleChoiceFilter(distinct=False, label="Offence", choices=Offence.choices)
    system = df.MultipleChoiceFilter(distinct=False, label="System misused", choices=System.choices)
    outcome = df.MultipleChoiceFilter(distinct=False, label="Outcome", choices=Outcome.choices)
    criminal_outcome = df.MultipleChoiceFilter(
        distinct=False, label="Criminal outcome", choices=CriminalOutcome.choices
    )
    q = df.CharFilter(label="Search wording and summaries", method="filter_search", max_length=200)
    unit = df.ChoiceFilter(
        label="What is counted", choices=Unit.choices, method="filter_unit", empty_label=None
    )

    class Meta:
        model = CaseLine
        fields = []
        form = CaseLineFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regions, countries = _places()
        self.filters["region"].extra["choices"] = regions
        self.filters["country"].extra["choices"] = countries

    @property
    def asked_unit(self) -> str | None:
        """The unit the request fixes: the one asked for, else the chosen studies' if they share one."""
        cleaned = self.form.cleaned_data
        if cleaned.get("unit"):
            return cleaned["unit"]
        studies = cleaned.get("study")
        units = {s.unit for s in studies} if studies else set()
        return units.pop() if len(units) == 1 else None

    def choose_unit(self, present) -> str:
        """Where the request fixes no unit: people disciplined if the other filters match any,
        else the first unit they match (a search for a word found only in breach cases shows
        those, not an empty page). `present`: the units matched, in `Unit` order."""
        if not hasattr(self, "_effective_unit"):
            present = list(present)
            asked = self.asked_unit
            self._effective_unit = asked or (
                DEFAULT_UNIT if DEFAULT_UNIT in present or not present else present[0]
            )
        return self._effective_unit

    @property
    def effective_unit(self) -> str:
        """The unit this view counts (see `choose_unit`)."""
        if not hasattr(self, "_effective_unit"):
            if self.asked_unit:
                return self.choose_unit([])
            others = df.FilterSet.filter_queryset(self, self.queryset)
            if others.filter(foi_return__request__unit=DEFAULT_UNIT).exists():
                return self.choose_unit([DEFAULT_UNIT])
            found = set(others.order_by().values_list("foi_return__request__unit", flat=True).distinct())
            return self.choose_unit([u for u in Unit.values if u in found])
        return self._effective_unit

    def filter_unit(self, queryset, name, value):
        return queryset  # applied once in filter_queryset, with its default

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.filter(foi_return__request__unit=self.effective_unit)

    # The same filters in two steps, for the case-line download: the returns first (a few rows),
    # then the lines of those returns by their ids. The lines_of the returns() hold exactly the lines
    # of `qs`; PostgreSQL then estimates the lines from its statistics of each return instead of
    # guessing through joins, and reads a large download in id order instead of sorting it.
    def returns(self):
        """The public returns of this view's unit that the study, force and place filters reach."""
        returns = FoiReturn.objects.public().filter(request__unit=self.effective_unit)
        for name in RETURN_FILTERS:
            on_return = copy.copy(self.filters[name])
            on_return.field_name = on_return.field_name.removeprefix("foi_return__")
            returns = on_return.filter(returns, self.form.cleaned_data.get(name))
        return returns

    def lines_of(self, return_ids):
        """The lines of these returns that the other filters (codes, search, years) reach."""
        lines = CaseLine.objects.filter(foi_return_id__in=return_ids)
        for name, value in self.form.cleaned_data.items():
            if name not in RETURN_FILTERS and name != "unit":
                lines = self.filters[name].filter(lines, value)
        return lines

    # A line's period is its own where the source dates it, else its request's. Lines with no
    # period at all (undated studies) cannot match a year filter.
    @staticmethod
    def _period(queryset):
        return queryset.annotate(
            effective_start=Coalesce(
                "period_start", "foi_return__request__period_start", output_field=DateField()
            ),
            effective_end=Coalesce("period_end", "foi_return__request__period_end", output_field=DateField()),
        )

    def filter_year_from(self, queryset, name, value):
        return self._period(queryset).filter(effective_end__year__gte=int(value))

    def filter_year_to(self, queryset, name, value):
        return self._period(queryset).filter(effective_start__year__lte=int(value))

    def filter_search(self, queryset, name, value):
        if not value.strip():
            return queryset
        # The stored, GIN-indexed vector of the wordings and the publishable summaries
        # (`CaseLine.search_vector`): a private summary is never searched.
        return queryset.filter(search_vector=SearchQuery(value, search_type="websearch", config="english"))


CODED_FILTERS = {
    "role": Role.NOT_STATED,
    "offence": Offence.NOT_STATED,
    "system": System.NOT_STATED,
    "outcome": Outcome.NOT_STATED,
    "criminal_outcome": CriminalOutcome.NOT_STATED,
}


def not_stated_in(filtered_fields) -> Q:
    """Lines whose value is 'not stated' in any of the given coded dimensions."""
    condition = Q(pk__in=[])
    for field in filtered_fields:
        condition |= Q(**{field: CODED_FILTERS[field]})
    return condition


class FigureFilter(df.FilterSet):
    """The filters of the published figures (/figures/): the same names as the case lines'."""

    study = df.ModelMultipleChoiceFilter(
        distinct=False,
        label="FOI request or study",
        field_name="request__slug",
        to_field_name="slug",
        queryset=FoiRequest.objects.public(),
    )
    year_from = df.NumberFilter(
        label="From year", method="filter_year_from", min_value=YEAR_MIN, max_value=YEAR_MAX
    )
    year_to = df.NumberFilter(
        label="To year", method="filter_year_to", min_value=YEAR_MIN, max_value=YEAR_MAX
    )
    force = df.ModelMultipleChoiceFilter(
        distinct=False,
        label="Force",
        field_name="force__slug",
        to_field_name="slug",
        queryset=Force.objects.all(),
    )
    region = df.MultipleChoiceFilter(distinct=False, label="Region", field_name="force__region", choices=[])
    country = df.MultipleChoiceFilter(
        distinct=False, label="Country", field_name="force__country", choices=[]
    )
    unit = df.MultipleChoiceFilter(distinct=False, label="What is counted", choices=Unit.choices)
    kind = df.MultipleChoiceFilter(
        distinct=False, label="Kind of figure", field_name="metric", choices=ReportedFigure.Metric.choices
    )
    scope = df.ChoiceFilter(
        label="Scope",
        method="filter_scope",
        choices=[("national", "National or unattributed figures"), ("force", "Figures for a named force")],
    )
    q = df.CharFilter(label="Search quotes", method="filter_search", max_length=200)

    class Meta:
        model = ReportedFigure
        fields = []
        form = CaseLineFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regions, countries = _places()
        self.filters["region"].extra["choices"] = regions
        self.filters["country"].extra["choices"] = countries

    # A figure's period is its study's: the figures carry their period only as the source words it.
    def filter_year_from(self, queryset, name, value):
        return queryset.filter(request__period_end__year__gte=int(value))

    def filter_year_to(self, queryset, name, value):
        return queryset.filter(request__period_start__year__lte=int(value))

    def filter_scope(self, queryset, name, value):
        return queryset.filter(force__isnull=(value == "national"))

    def filter_search(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(
            Q(quote__icontains=value) | Q(scope__icontains=value) | Q(detail__icontains=value)
        )


class ReturnFilter(df.FilterSet):
    """The filters of the forces' answers (the API's returns): the same names as the case lines'."""

    study = df.ModelMultipleChoiceFilter(
        distinct=False,
        label="FOI request or study",
        field_name="request__slug",
        to_field_name="slug",
        queryset=FoiRequest.objects.public(),
    )
    force = df.ModelMultipleChoiceFilter(
        distinct=False,
        label="Force",
        field_name="force__slug",
        to_field_name="slug",
        queryset=Force.objects.all(),
    )
    status = df.MultipleChoiceFilter(distinct=False, label="Status", choices=FoiReturn.Status.choices)

    class Meta:
        model = FoiReturn
        fields = []
