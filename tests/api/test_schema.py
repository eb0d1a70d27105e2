"""The OpenAPI schema validates, documents every endpoint with its error responses and
an example, and the docs are served without any CDN."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_lists_the_endpoints_with_error_responses_and_examples(schema):
    operations = {(path, method): op for path, item in schema["paths"].items() for method, op in item.items()}
    assert set(operations) >= {
        ("/api/v1/connections/", "get"), ("/api/v1/connections/{id}/", "get"),
        ("/api/v1/connections/{id}/test/", "post"), ("/api/v1/webhook-events/", "get"),
        ("/api/v1/webhook-events/{id}/", "get"),
    }
    for (path, method), op in operations.items():
        for status in ("401", "403", "500"):
            assert op["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}, (path, method, status)
        if "{id}" in path:
            assert "404" in op["responses"], path
        for status, response in op["responses"].items():
            assert response["content"]["application/json"].get("examples"), (path, method, status)
        assert op["security"] == [{"apiKey": []}, {"cookieAuth": []}]
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "pd_<prefix>_<secret>",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"]}
    error = schema["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == {"code", "message", "fields"}


def test_schema_and_docs_are_served_and_the_docs_load_nothing_from_a_cdn(client):
    assert client.get("/api/schema/").status_code == 200
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
