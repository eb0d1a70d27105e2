"""One error shape for every failure (config/api.py), and no input that makes an
endpoint answer 500."""

import logging

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.models import Role
from config.api import exception_handler
from providers.base import errors as provider_errors
from tests.api.conftest import assert_error, key_client, session_client
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_malformed_json_is_400_parse_error(merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    response = session_client(merchant_a, Role.OWNER).post(
        f"/api/v1/connections/{connection.pk}/test/", '{"oops": ', content_type="application/json"
    )
    error = assert_error(response, 400, "parse_error")
    assert error["message"] == "The request body is not valid JSON."
    assert connection.__class__.objects.get(pk=connection.pk).status == "unchecked"


def test_a_json_list_where_an_object_is_expected_is_400_invalid(merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    response = session_client(merchant_a, Role.OWNER).post(
        f"/api/v1/connections/{connection.pk}/test/", "[1, 2]", content_type="application/json"
    )
    error = assert_error(response, 400, "invalid")
    assert "Expected a dictionary" in error["message"]


def test_a_bad_filter_is_400_with_the_field_named(merchant_a):
    response = key_client(merchant_a).get("/api/v1/webhook-events/?processing=bogus")
    error = assert_error(response, 400, "invalid")
    assert error["message"] == "Some fields are not valid."
    assert list(error["fields"]) == ["processing"]
    assert "bogus" in error["fields"]["processing"][0]


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer pd_nope", "Bearer pd_00000000_xyz", "Bearer \u00e9t\u00e9"])
def test_bad_bearer_headers_are_401_authentication_failed(merchant_a, header):
    response = Client(headers={"authorization": header.encode().decode("latin-1")}).get("/api/v1/connections/")
    assert_error(response, 401, "authentication_failed")


def test_wrong_method_is_405(merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    response = key_client(merchant_a).delete(f"/api/v1/connections/{connection.pk}/")
    assert_error(response, 405, "method_not_allowed")
    assert connection.__class__.objects.filter(pk=connection.pk).exists()


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/connections/99999999999999999999999/", "/api/x"])
def test_unknown_api_paths_are_404_json(merchant_a, path):
    assert_error(key_client(merchant_a).get(path), 404, "not_found")


def test_unknown_page_paths_stay_html(client):
    response = client.get("/dashboard/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("error_class", "status", "code"),
    [
        (provider_errors.ProviderInputError, 400, "invalid_input"),
        (provider_errors.ProviderRejected, 422, "rejected"),
        (provider_errors.ProviderAuthenticationError, 502, "authentication_failed"),
        (provider_errors.ProviderInvalidResponse, 502, "invalid_response"),
        (provider_errors.ProviderUnavailable, 503, "unavailable"),
        (provider_errors.ProviderOutcomeUnknown, 202, "outcome_unknown"),
        (provider_errors.ProviderError, 502, "provider_error"),
    ],
)
def test_each_provider_error_class_has_its_status_and_keeps_its_code(error_class, status, code):
    response = exception_handler(error_class(provider="enigmapay", operation="send_money"), {})
    assert response.status_code == status
    assert response.data == {"error": {"code": code, "message": error_class.default_message, "fields": {}}}
    specific = exception_handler(
        error_class("The IBAN checksum is wrong.", provider="enigmapay", operation="send_money", code="invalid_iban"), {}
    )
    assert specific.data["error"]["code"] == "invalid_iban"
    assert specific.data["error"]["message"] == "The IBAN checksum is wrong."
    assert ("Retry-After" in specific.headers) is (status == 503)


class BoomApi(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise RuntimeError("kaboom: internal detail")


def test_an_unexpected_exception_is_a_logged_500_in_the_shape_without_internals(caplog):
    with caplog.at_level(logging.ERROR, logger="config.api"):
        response = BoomApi.as_view()(APIRequestFactory().get("/api/v1/boom/"))
    response.render()
    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "kaboom" not in response.content.decode()
    assert any("kaboom" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_django_validation_and_permission_errors_are_shaped():
    from django.core.exceptions import PermissionDenied, ValidationError

    invalid = exception_handler(ValidationError({"amount": ["Too small."]}), {})
    assert invalid.status_code == 400
    assert invalid.data["error"]["fields"] == {"amount": ["Too small."]}
    assert exception_handler(PermissionDenied("Nope."), {}).data["error"] == {
        "code": "permission_denied", "message": "Nope.", "fields": {}}


def test_nested_validation_errors_are_flattened_to_dotted_fields():
    from rest_framework.exceptions import ValidationError

    response = exception_handler(
        ValidationError({"items": [{}, {"amount": ["Too small."]}], "non_field_errors": ["Totals differ."]}), {}
    )
    assert response.data["error"] == {
        "code": "invalid", "message": "Totals differ.", "fields": {"items.1.amount": ["Too small."]}}


READ_PATHS = ["/api/v1/connections/", "/api/v1/webhook-events/"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from([*READ_PATHS, "/api/v1/connections/{pk}/", "/api/v1/webhook-events/{pk}/"]),
    query=st.dictionaries(st.sampled_from(["cursor", "limit", "provider", "processing", "x"]), st.text(max_size=30)),
    pk=st.one_of(st.integers(min_value=0, max_value=10**18), st.just(10**30)),
)
def test_no_query_or_id_makes_a_read_answer_500(merchant_a, path, query, pk):
    response = key_client(merchant_a).get(path.format(pk=pk), query)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=60), content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
def test_no_body_makes_a_write_answer_500(merchant_a, body, content_type):
    # Hypothesis runs every example in the same test database: one connection for all.
    connection = merchant_a.connections.first() or ConnectionFactory(merchant=merchant_a, base_url="http://127.0.0.1:9/x")
    client = session_client(merchant_a, Role.OWNER)
    response = client.post(f"/api/v1/connections/{connection.pk}/test/", body, content_type=content_type)
    assert response.status_code < 500, response.content
    assert response.status_code == 200 or set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.django_db
def test_a_page_link_that_was_tampered_with_is_a_400_on_the_cursor_field():
    from tests.api.conftest import key_client
    from tests.factories import MerchantFactory

    client = key_client(MerchantFactory(), Role.VIEWER)
    for path in ("/api/v1/transactions/", "/api/v1/webhook-events/"):
        response = client.get(path, {"cursor": "not-a-cursor"})
        error = assert_error(response, 400, "invalid")
        assert "cursor" in error["fields"], path
