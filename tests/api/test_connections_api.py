"""/api/v1/connections/: read for every role, test for owners; scoped by merchant;
credentials never in the API."""

import pytest
from django.test import Client

from accounts.models import Role
from providers.enigmapay.sandbox import DEMO_CREDENTIALS
from providers.models import ProviderConnection
from tests.api.conftest import assert_error, key_client, session_client
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

SECRET = "sk_factory_secret_value_9876"
LIST = "/api/v1/connections/"


def detail(connection):
    return f"/api/v1/connections/{connection.pk}/"


def check_path(connection):
    return f"/api/v1/connections/{connection.pk}/test/"


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.VIEWER])
def test_every_member_reads_own_connections_without_secrets(merchant_a, merchant_b, role):
    mine = ConnectionFactory(merchant=merchant_a)
    ConnectionFactory(merchant=merchant_b, provider="enkash", credentials={"access_key": "a" * 12, "secret_key": "s" * 12})
    response = session_client(merchant_a, role).get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body] == [mine.pk]
    assert body[0]["provider"] == "enigmapay"
    assert body[0]["credential_names"] == ["api_key", "secret_key"]
    if role == Role.OWNER:
        assert body[0]["callback_url"].endswith(f"/callbacks/enigmapay/{mine.callback_token}/")
    else:  # the token is all that guards the callback URL: owners only, as on the page
        assert body[0]["callback_url"] is None
        assert mine.callback_token not in response.content.decode()
    assert SECRET not in response.content.decode() and "ak_factory_key_0001" not in response.content.decode()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER])
def test_api_keys_read_their_merchants_connections(merchant_a, merchant_b, role):
    mine = ConnectionFactory(merchant=merchant_a)
    ConnectionFactory(merchant=merchant_b)
    client = key_client(merchant_a, role)
    assert [c["id"] for c in client.get(LIST).json()] == [mine.pk]
    assert client.get(detail(mine)).json()["id"] == mine.pk


def test_another_merchants_connection_is_404_in_the_error_shape(merchant_a, merchant_b):
    theirs = ConnectionFactory(merchant=merchant_b)
    for client in (session_client(merchant_a, Role.OWNER), key_client(merchant_a)):
        error = assert_error(client.get(detail(theirs)), 404, "not_found")
        assert error["fields"] == {}
    assert_error(session_client(merchant_a, Role.OWNER).post(check_path(theirs), content_type="application/json"), 404, "not_found")
    assert ProviderConnection.objects.get(pk=theirs.pk).status == "unchecked"  # no test ran


def test_anonymous_is_401_with_a_bearer_challenge(merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    for response in (Client().get(LIST), Client().get(detail(connection)), Client().post(check_path(connection), content_type="application/json")):
        error = assert_error(response, 401, "not_authenticated")
        assert "Bearer" in error["message"]
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_owner_tests_a_connection_against_the_sandbox_and_the_status_is_stored(sandbox, merchant_a):
    connection = ConnectionFactory(merchant=merchant_a, base_url=sandbox.base_url("enigmapay"),
                                   credentials=dict(DEMO_CREDENTIALS))
    response = session_client(merchant_a, Role.OWNER).post(check_path(connection), {}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    assert body["connection"]["status"] == "healthy"
    connection.refresh_from_db()
    assert connection.status == "healthy" and connection.last_checked_at is not None


def test_refused_credentials_are_a_200_with_ok_false_and_the_failure_stored(sandbox, merchant_a):
    connection = ConnectionFactory(merchant=merchant_a, base_url=sandbox.base_url("enigmapay"),
                                   credentials={"api_key": "wrong-key-0000", "secret_key": "wrong-secret-0000"})
    body = session_client(merchant_a, Role.OWNER).post(check_path(connection), content_type="application/json").json()
    assert body["ok"] is False
    assert body["message"]
    connection.refresh_from_db()
    assert connection.status == "failing"
    assert connection.last_error == body["message"]
    assert "wrong-secret-0000" not in str(body)


@pytest.mark.parametrize("who", ["manager session", "viewer session", "manager key", "viewer key"])
def test_only_owners_test_connections(merchant_a, who):
    connection = ConnectionFactory(merchant=merchant_a)
    role = Role.MANAGER if who.startswith("manager") else Role.VIEWER
    client = key_client(merchant_a, role) if who.endswith("key") else session_client(merchant_a, role)
    error = assert_error(client.post(check_path(connection), content_type="application/json"), 403, "permission_denied")
    assert error["message"] == "This needs the owner role."
    assert ProviderConnection.objects.get(pk=connection.pk).status == "unchecked"


def test_session_calls_need_the_csrf_token(merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    client = session_client(merchant_a, Role.OWNER, csrf=True)
    error = assert_error(client.post(check_path(connection), content_type="application/json"), 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert ProviderConnection.objects.get(pk=connection.pk).status == "unchecked"
    # Reads need no token.
    assert client.get(LIST).status_code == 200


def test_a_key_call_ignores_a_session_cookie_of_another_merchant(merchant_a, merchant_b):
    mine = ConnectionFactory(merchant=merchant_a)
    ConnectionFactory(merchant=merchant_b)
    client = session_client(merchant_b, Role.OWNER)
    client.raw_key = key_client(merchant_a).raw_key
    response = client.get(LIST, headers={"authorization": f"Bearer {client.raw_key}"})
    assert [c["id"] for c in response.json()] == [mine.pk]


def test_member_of_no_merchant_is_403(merchant_a):
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    error = assert_error(client.get(LIST), 403, "permission_denied")
    assert error["message"] == "You are not a member of any merchant yet."


def test_a_form_body_is_415_in_the_error_shape(merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    response = session_client(merchant_a, Role.OWNER).post(check_path(connection), {"a": "b"})
    assert_error(response, 415, "unsupported_media_type")


def test_an_api_key_never_sees_a_callback_token(merchant_a):
    mine = ConnectionFactory(merchant=merchant_a)
    response = key_client(merchant_a, Role.MANAGER).get(detail(mine))
    assert response.json()["callback_url"] is None and mine.callback_token not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_testing_a_connection_holds_no_transaction_while_the_provider_answers(merchant_a, sandbox, monkeypatch):
    from django.db import connection as db

    from providers.enigmapay.client import EnigmaPayClient

    mine = ConnectionFactory(merchant=merchant_a, base_url=sandbox.base_url("enigmapay"),
                             credentials=dict(DEMO_CREDENTIALS))
    seen = []
    real = EnigmaPayClient.check

    def spy(self):
        seen.append(db.in_atomic_block)
        return real(self)

    monkeypatch.setattr(EnigmaPayClient, "check", spy)
    response = session_client(merchant_a, Role.OWNER).post(check_path(mine), {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert seen == [False]
