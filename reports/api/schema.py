"""The API's query parameters for its OpenAPI schema, read from the same FilterSets that validate them."""

import django_filters as df
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from reports import engine

MAX_PAGE_SIZE = 1000
PAGINATION_PARAMETERS = [
    OpenApiParameter(
        "cursor",
        OpenApiTypes.STR,
        description="Where a page starts: copy it from the `next` or `previous` link, never make one up.",
    ),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description=f"Rows a page (1 to {MAX_PAGE_SIZE}; 100 unless given).",
    ),
]
SORT_PARAMETER = OpenApiParameter(
    "sort",
    OpenApiTypes.STR,
    enum=[f"{sign}{key}" for key in engine.SORT_KEYS for sign in ("", "-")],
    description="The force table's order, as on the dashboard (a leading '-': largest first). "
    "Default: -cases.",
)


def filter_parameters(filterset_class) -> list[OpenApiParameter]:
    """Each filter of a FilterSet as a query parameter: its label, whether it repeats, its values
    where they are fixed (forces, studies and places are read from the data: see /api/v1/forces/)."""
    parameters = []
    for name, found in filterset_class.base_filters.items():
        many = isinstance(found, df.MultipleChoiceFilter)
        choices = [value for value, _ in found.extra.get("choices", []) if value != ""]
        description = found.label + "."
        if many:
            description += " Repeat it for several values (any of them matches)."
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.INT if isinstance(found, df.NumberFilter) else OpenApiTypes.STR,
                many=many or None,
                enum=choices or None,
                description=description,
            )
        )
    return parameters


RELEASE_PARAMETER = {
    "name": "release",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "pattern": r"^\d{4}\.\d{1,2}\.\d{1,4}$"},
    "description": "Read a citable release (e.g. 2026.11.1: see /releases/) instead of the live data: "
    "the response is the one the release gave, and `meta.release` names it.",
}


def add_release_parameter(result, generator, request, public):
    """drf-spectacular hook: every operation takes `release` (read by reports/releases.py's
    middleware before any view, so no view declares it)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "release" for p in parameters):
                parameters.append(dict(RELEASE_PARAMETER))
    return result
