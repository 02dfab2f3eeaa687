from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    response = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_openapi_3_and_describes_every_registry_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for expected in (
        "/api/v1/disease-areas/",
        "/api/v1/disease-areas/{slug}/",
        "/api/v1/conditions/{slug}/",
        "/api/v1/outcome-domains/{number}/",
        "/api/v1/instruments/{acronym}/",
        "/api/v1/core-outcome-sets/",
        "/api/v1/core-outcome-sets/{slug}/",
        "/api/v1/core-outcome-sets/{slug}/versions/",
        "/api/v1/core-outcome-sets/{slug}/versions/{version}/",
        "/api/v1/core-outcome-sets/{slug}/versions/{a}/diff/{b}/",
        "/api/v1/core-outcome-sets/{slug}/versions/{version}/export/{format}/",
        "/api/v1/dumps/",
        "/api/v1/dumps/{id}/",
        "/api/v1/dumps/{id}/download/",
    ):
        assert expected in paths


def test_the_set_list_documents_every_filter_with_its_values(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/core-outcome-sets/"]["get"]["parameters"]}
    assert {"disease_area", "condition", "icd10", "snomed", "domain", "status", "published_after",
            "published_before", "q", "ordering", "page", "page_size"} <= set(parameters)  # fmt: skip
    assert parameters["status"]["schema"]["enum"] == ["published", "superseded", "withdrawn"]
    assert parameters["page_size"]["schema"]["maximum"] == 100


def test_no_query_parameter_of_the_set_list_takes_an_empty_value(schema):
    for parameter in schema["paths"]["/api/v1/core-outcome-sets/"]["get"]["parameters"]:
        if parameter["schema"]["type"] == "string":
            assert parameter["schema"]["minLength"] == 1, parameter["name"]


def test_a_round_results_group_is_documented_as_nullable(schema):
    group = schema["components"]["schemas"]["ItemResult"]["properties"]["group"]
    assert group["type"] == "string" and group["nullable"] is True


def test_operations_that_take_a_body_document_the_413(schema):
    post = schema["paths"]["/api/v1/dumps/"]["post"]
    assert post["responses"]["413"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_every_operation_documents_its_errors_in_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"status", "code", "message", "fields"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code.startswith(("4", "5"))}
            assert "429" in errors, (path, method)
            for response in errors.values():
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_version_document_and_export_responses_are_described(schema):
    detail = schema["paths"]["/api/v1/core-outcome-sets/{slug}/versions/{version}/"]["get"]
    assert detail["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/VersionDocument")
    assert "304" in detail["responses"]
    export = schema["paths"]["/api/v1/core-outcome-sets/{slug}/versions/{version}/export/{format}/"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"application/json", "application/fhir+json", "text/csv"}
    fmt = next(p for p in export["parameters"] if p["name"] == "format")
    assert set(fmt["schema"]["enum"]) == {"json", "csv", "fhir", "redcap", "ctgov", "atlas"}


def test_write_endpoints_document_session_and_token_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"cookieAuth", "tokenAuth"} <= set(schemes)
    assert schema["paths"]["/api/v1/dumps/"]["post"]["security"]


def test_swagger_ui_is_served_from_vendored_assets_with_nothing_inline(client):
    response = client.get(reverse("swagger-ui"))
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert "<style" not in html and not re.search(r"<script>", html)
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
    script = client.get(reverse("swagger-ui") + "?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_an_api_address_that_matches_no_route_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_report_download_is_documented_with_its_cos_stad_standards(schema):
    operation = schema["paths"]["/api/v1/consensus/processes/{id}/report/"]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ReportDownload"}
    components = schema["components"]["schemas"]
    assert "cos_stad" in components["ReportDownload"]["required"]
    standard = components["CosStadStandard"]["properties"]
    assert {"number", "domain", "standard", "status", "evidence"} <= set(standard)
