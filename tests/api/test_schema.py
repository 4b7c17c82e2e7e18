"""The OpenAPI schema is valid, documents every filter, and every response is exactly its documented shape."""

import copy

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from cases.models import Unit
from reports.filters import CaseLineFilter, FigureFilter, ReturnFilter
from tests.api.conftest import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def strict(spec: dict) -> dict:
    """The components with no undocumented key allowed in any object."""
    components = copy.deepcopy(spec["components"])

    def close(schema):
        if isinstance(schema, dict):
            if "properties" in schema:
                schema["additionalProperties"] = False
            for value in schema.values():
                close(value)
        elif isinstance(schema, list):
            for value in schema:
                close(value)

    close(components)
    return components


def test_the_schema_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)
    assert set(spec["paths"]) >= {
        "/api/v1/forces/",
        "/api/v1/forces/{slug}/",
        "/api/v1/requests/",
        "/api/v1/requests/{slug}/",
        "/api/v1/returns/",
        "/api/v1/case-lines/",
        "/api/v1/figures/",
        "/api/v1/dashboard/headline/",
        *(f"/api/v1/dashboard/{t}/" for t in ("forces", "offences", "outcomes", "roles", "systems")),
    }
    for path, operations in spec["paths"].items():
        assert set(operations) <= {"get", "head", "parameters"}, path


@pytest.mark.parametrize(
    "path, filterset, extra",
    [
        ("/api/v1/case-lines/", CaseLineFilter, {"cursor", "page_size"}),
        ("/api/v1/dashboard/headline/", CaseLineFilter, {"sort"}),
        ("/api/v1/dashboard/outcomes/", CaseLineFilter, {"sort"}),
        ("/api/v1/figures/", FigureFilter, {"cursor", "page_size"}),
        ("/api/v1/returns/", ReturnFilter, {"cursor", "page_size"}),
    ],
)
def test_every_filter_is_a_documented_parameter(spec, path, filterset, extra):
    parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
    assert set(parameters) == set(filterset.base_filters) | extra | {"release"}
    assert parameters["force"]["schema"]["type"] == "array"
    if filterset is CaseLineFilter:
        assert set(parameters["unit"]["schema"]["enum"]) == set(Unit.values)


RESPONSES = [
    ("/api/v1/", "/api/v1/", 200),
    ("/api/v1/forces/", "/api/v1/forces/", 200),
    ("/api/v1/forces/surrey/", "/api/v1/forces/{slug}/", 200),
    ("/api/v1/forces/bedfordshire/", "/api/v1/forces/{slug}/", 200),
    ("/api/v1/forces/atlantis/", "/api/v1/forces/{slug}/", 404),
    ("/api/v1/requests/", "/api/v1/requests/", 200),
    ("/api/v1/requests/parliament-street-2019/", "/api/v1/requests/{slug}/", 200),
    ("/api/v1/requests/pa-2014-data-breaches/", "/api/v1/requests/{slug}/", 200),
    ("/api/v1/returns/", "/api/v1/returns/", 200),
    ("/api/v1/case-lines/?page_size=1000", "/api/v1/case-lines/", 200),
    ("/api/v1/case-lines/?unit=data_breaches&page_size=1000", "/api/v1/case-lines/", 200),
    ("/api/v1/case-lines/?force=atlantis", "/api/v1/case-lines/", 400),
    ("/api/v1/figures/?page_size=1000", "/api/v1/figures/", 200),
    ("/api/v1/dashboard/headline/", "/api/v1/dashboard/headline/", 200),
    ("/api/v1/dashboard/headline/?q=zzzqqq", "/api/v1/dashboard/headline/", 200),
    *[
        (f"/api/v1/dashboard/{t}/", f"/api/v1/dashboard/{t}/", 200)
        for t in ("forces", "offences", "outcomes", "roles", "systems")
    ],
    ("/api/v1/dashboard/forces/?unit=data_breaches", "/api/v1/dashboard/forces/", 200),
]


@pytest.mark.parametrize("url, path, status", RESPONSES)
def test_every_response_is_its_documented_shape(client, spec, url, path, status):
    body = api(client, url, status=status)
    documented = spec["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = OAS30Validator({**documented, "components": strict(spec)})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_every_response_says_which_data_it_reflects(client):
    for url, _, status in RESPONSES:
        if status == 200:
            meta = api(client, url)["meta"]
            assert meta["release"] is None and meta["dataset_version"], url
    assert client.get("/api/v1/case-lines/")["X-Dataset-Version"] == meta["dataset_version"]
