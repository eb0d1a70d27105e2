"""EnayaPay client against its running sandbox: every operation, every documented status."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import requests

from providers.base.errors import (
    ProviderAuthenticationError,
    ProviderError,
    ProviderInputError,
    ProviderInvalidResponse,
    ProviderRejected,
    ProviderUnavailable,
)
from providers.base.money import Money
from providers.base.sandbox import json_response
from providers.enayapay import sandbox as sb
from providers.enayapay.client import EBS_RESPONSES, normalise_phone
from tests.helpers import fast_client
from tests.providers import enayapay_support as enayapay
from tests.providers.enayapay_support import NEW_PHONE

client, state = enayapay.client, enayapay.state


def configure(sandbox, **options) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/config", json={"provider": "enayapay", **options}, timeout=5)
    response.raise_for_status()


def assert_error(exc: ProviderError, cls: type, code: str, status: int | None) -> None:
    assert type(exc) is cls
    assert exc.code == code
    assert exc.http_status == status
    assert exc.provider == "enayapay"
    assert exc.message[0].isupper() and exc.message.endswith(".")
    assert "{" not in exc.message and "None" not in exc.message


# -- operations ----------------------------------------------------------------------------

def test_check_proves_the_api_key_with_a_login_that_names_no_account(client, state):
    assert client.check() == ("EnayaPay accepted the API key. "
                              "Card balance checks are set up (IPIN public key loaded).")
    [request] = state.received
    assert (request.method, request.path, request.body) == ("POST", "/login/", b"{}")
    assert "token" not in request.headers


def test_register_verify_login(client, state):
    registration = client.register(phone="+249 91 200 0007", name="Hiba Ali", password="Hiba-pass-1")
    assert registration.phone == NEW_PHONE and registration.otp_sent
    assert state.users[NEW_PHONE].active is False
    assert state.otps_sent == [NEW_PHONE]
    assert client.login(phone=NEW_PHONE, password="Hiba-pass-1").status == "inactive"

    verification = client.verify(phone="0912000007", otp=sb.OTP_CODE)
    assert verification.user_name == "Hiba Ali" and verification.phone == NEW_PHONE
    assert verification.token.count(".") == 2  # JWT-shaped, like the doc's example
    assert verification.token not in repr(verification)

    status = client.login(phone=NEW_PHONE, password="Hiba-pass-1")
    assert (status.user_name, status.status, status.active) == ("Hiba Ali", "active", True)


def test_login_of_unverified_user_is_inactive(client):
    status = client.login(phone=sb.PHONE_UNVERIFIED, password="Sandbox-Pass-2")
    assert (status.user_name, status.status, status.active) == ("Khalid Ibrahim", "inactive", False)


def test_forgotten_password_flow(client, state):
    with pytest.raises(ProviderRejected) as exc:
        client.register(phone=sb.PHONE_ACTIVE, name="Amna Osman", password="whatever-1")
    assert exc.value.code == "already_registered"
    assert state.otps_sent == [sb.PHONE_ACTIVE]  # 302 re-sends the OTP
    token = client.verify(phone=sb.PHONE_ACTIVE, otp=sb.OTP_CODE).token
    status = client.reset_password(phone=sb.PHONE_ACTIVE, new_password="Fresh-pass-9", token=token)
    assert (status.user_name, status.status) == ("Amna Osman", "active")
    assert client.login(phone=sb.PHONE_ACTIVE, password="Fresh-pass-9").active
    with pytest.raises(ProviderRejected):
        client.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-1")


def test_change_password(client):
    change = client.change_password(current_password="Sandbox-Pass-1", new_password="Changed-pass-2",
                                    token=sb.TOKEN_ACTIVE_USER)
    assert change.detail == "password updated successful"
    assert client.login(phone=sb.PHONE_ACTIVE, password="Changed-pass-2").active
    with pytest.raises(ProviderRejected) as exc:
        client.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-1")
    assert exc.value.code == "wrong_password"


@pytest.mark.parametrize(
    ("pan", "expiry", "balance"),
    [
        (sb.CARD_OK, "2812", Decimal("15250.75")),
        ("9999 0100 0000 0029", "2906", Decimal("0")),
        (sb.CARD_19_DIGITS, "3003", Decimal("250000")),
    ],
)
def test_balance_inquiry(client, state, pan, expiry, balance):
    result = client.balance_inquiry(pan=pan, ipin=sb.IPIN, expiry=expiry, token=sb.TOKEN_ACTIVE_USER)
    assert result.balance == Money(balance, "SDG")
    assert isinstance(result.balance.amount, Decimal)
    assert result.response_code == 0 and result.response_status == "Successful"
    digits = pan.replace(" ", "")
    assert result.pan_masked == digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
    assert uuid.UUID(result.uuid).version == 4
    assert result.uuid in state.seen_uuids


def test_balance_inquiry_with_token_from_verify(client):
    token = client.verify(phone=sb.PHONE_ACTIVE, otp=sb.OTP_CODE).token
    result = client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=token)
    assert result.balance == Money(Decimal("15250.75"), "SDG")


def test_balance_inquiry_sends_only_the_inquiry(client, state):
    for _ in range(2):
        client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    assert [r.path for r in state.received] == ["/balance/inquiry/", "/balance/inquiry/"]


def assert_refused_locally(state, exc: ProviderError, operation: str, code: str) -> None:
    """Refused by the client before sending: ProviderInputError, no status, no request."""
    assert_error(exc, ProviderInputError, code, None)
    assert isinstance(exc, ProviderRejected) and isinstance(exc, ValueError)
    assert exc.operation == operation
    assert len(state.received) == 0


@pytest.mark.parametrize(
    ("pan", "expiry", "code", "words"),
    [
        (sb.CARD_OK, "12/28", "invalid_expiry", "YYMM"),
        (sb.CARD_OK, "2813", "invalid_expiry", "YYMM"),
        ("9999-01x", "2812", "invalid_card_number", "12 to 19 digits"),
        (sb.CARD_OK + "12345", "2812", "invalid_card_number", "12 to 19 digits"),
    ],
)
def test_card_details_are_checked_before_sending(client, state, pan, expiry, code, words):
    with pytest.raises(ProviderInputError) as exc:
        client.balance_inquiry(pan=pan, ipin=sb.IPIN, expiry=expiry, token=sb.TOKEN_ACTIVE_USER)
    assert_refused_locally(state, exc.value, "balance_inquiry", code)
    assert words in exc.value.message
    shown = f"{exc.value} {exc.value!r} {exc.value.as_dict()}"
    assert pan not in shown and "9999" not in shown and sb.IPIN not in shown and sb.TOKEN_ACTIVE_USER not in shown


@pytest.mark.parametrize("call", ["register", "verify", "login", "reset_password"])
def test_a_phone_that_cannot_be_a_number_is_refused_before_sending(client, state, call):
    kwargs = {
        "register": {"name": "Test User", "password": "whatever-1"},
        "verify": {"otp": sb.OTP_CODE},
        "login": {"password": "whatever-1"},
        "reset_password": {"new_password": "whatever-1", "token": sb.TOKEN_ACTIVE_USER},
    }[call]
    with pytest.raises(ProviderInputError) as exc:
        getattr(client, call)(phone="+249 91x 000 001", **kwargs)
    assert_refused_locally(state, exc.value, call, "invalid_phone")


def test_normalise_phone():
    assert normalise_phone("00249 912-000-001") == sb.PHONE_ACTIVE
    assert normalise_phone("912000001") == sb.PHONE_ACTIVE
    with pytest.raises(ValueError, match="Sudanese mobile number"):
        normalise_phone("phone")


# -- documented statuses ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phone", "password", "cls", "code", "status"),
    [
        (sb.PHONE_ACTIVE, "whatever-1", ProviderRejected, "already_registered", 302),
        (sb.PHONE_INVALID, "whatever-1", ProviderRejected, "invalid_phone", 406),
        ("24912", "whatever-1", ProviderRejected, "invalid_phone", 406),
        (NEW_PHONE, "short", ProviderRejected, "invalid_request", 400),
        (sb.PHONE_SMS_DOWN, "whatever-1", ProviderUnavailable, "sms_gateway_unavailable", 502),
        (sb.PHONE_UNAVAILABLE, "whatever-1", ProviderUnavailable, "service_unavailable", 503),
    ],
)
def test_register_errors(client, state, phone, password, cls, code, status):
    with pytest.raises(cls) as exc:
        client.register(phone=phone, name="Test User", password=password)
    assert_error(exc.value, cls, code, status)
    assert NEW_PHONE not in state.users


def test_register_missing_field_names_it(client):
    with pytest.raises(ProviderRejected) as exc:
        client.register(phone=NEW_PHONE, name="", password="")
    assert_error(exc.value, ProviderRejected, "invalid_request", 400)
    assert exc.value.message == "EnayaPay found missing or invalid fields: user_name, user_password."


@pytest.mark.parametrize(
    ("phone", "otp", "cls", "code", "status"),
    [
        (sb.PHONE_ACTIVE, "000000", ProviderRejected, "wrong_otp", 203),
        (sb.PHONE_ACTIVE, "", ProviderRejected, "invalid_request", 400),
        (sb.PHONE_REMOVED, sb.OTP_CODE, ProviderRejected, "not_registered", 404),
        (sb.PHONE_UNAVAILABLE, sb.OTP_CODE, ProviderUnavailable, "service_unavailable", 503),
    ],
)
def test_verify_errors(client, phone, otp, cls, code, status):
    with pytest.raises(cls) as exc:
        client.verify(phone=phone, otp=otp)
    assert_error(exc.value, cls, code, status)


def test_unverified_user_becomes_active_on_verify(client, state):
    client.verify(phone=sb.PHONE_UNVERIFIED, otp=sb.OTP_CODE)
    assert state.users[sb.PHONE_UNVERIFIED].active


@pytest.mark.parametrize(
    ("phone", "password", "cls", "code", "status"),
    [
        (sb.PHONE_ACTIVE, "Wrong-pass-0", ProviderRejected, "wrong_password", 203),
        (sb.PHONE_ACTIVE, "", ProviderRejected, "invalid_request", 400),
        (sb.PHONE_REMOVED, "Sandbox-Pass-1", ProviderRejected, "not_registered", 404),
        (sb.PHONE_UNAVAILABLE, "Sandbox-Pass-1", ProviderUnavailable, "service_unavailable", 503),
    ],
)
def test_login_errors(client, phone, password, cls, code, status):
    with pytest.raises(cls) as exc:
        client.login(phone=phone, password=password)
    assert_error(exc.value, cls, code, status)


@pytest.mark.parametrize(
    ("phone", "password", "token", "cls", "code", "status"),
    [
        (sb.PHONE_ACTIVE, "Fresh-pass-9", "not-a-token", ProviderAuthenticationError, "invalid_token", 203),
        (sb.PHONE_ACTIVE, "Fresh-pass-9", sb.TOKEN_EXPIRED, ProviderAuthenticationError, "invalid_token", 203),
        (sb.PHONE_UNVERIFIED, "Fresh-pass-9", sb.TOKEN_ACTIVE_USER, ProviderAuthenticationError,
         "invalid_token", 203),  # another user's token
        (sb.PHONE_ACTIVE, "short", sb.TOKEN_ACTIVE_USER, ProviderRejected, "invalid_request", 400),
        (sb.PHONE_REMOVED, "Fresh-pass-9", sb.TOKEN_ACTIVE_USER, ProviderRejected, "not_registered", 404),
        (sb.PHONE_UNAVAILABLE, "Fresh-pass-9", sb.TOKEN_ACTIVE_USER, ProviderUnavailable,
         "service_unavailable", 503),
    ],
)
def test_reset_password_errors(client, state, phone, password, token, cls, code, status):
    with pytest.raises(cls) as exc:
        client.reset_password(phone=phone, new_password=password, token=token)
    assert_error(exc.value, cls, code, status)
    assert state.users[sb.PHONE_UNVERIFIED].password == "Sandbox-Pass-2"


@pytest.mark.parametrize(
    ("current", "new", "token", "cls", "code", "status"),
    [
        ("Wrong-pass-0", "Changed-pass-2", sb.TOKEN_ACTIVE_USER, ProviderRejected, "wrong_current_password", 203),
        ("Sandbox-Pass-1", "Changed-pass-2", "bogus-token", ProviderAuthenticationError, "invalid_token", 203),
        ("Sandbox-Pass-1", "", sb.TOKEN_ACTIVE_USER, ProviderRejected, "invalid_request", 400),
        ("Sandbox-Pass-1", "Changed-pass-2", sb.TOKEN_REMOVED_USER, ProviderRejected, "not_registered", 404),
    ],
)
def test_change_password_errors(client, state, current, new, token, cls, code, status):
    with pytest.raises(cls) as exc:
        client.change_password(current_password=current, new_password=new, token=token)
    assert_error(exc.value, cls, code, status)
    assert state.users[sb.PHONE_ACTIVE].password == "Sandbox-Pass-1"


def test_token_from_verify_expires(sandbox, client):
    configure(sandbox, token_ttl=0)
    token = client.verify(phone=sb.PHONE_ACTIVE, otp=sb.OTP_CODE).token
    with pytest.raises(ProviderAuthenticationError) as exc:
        client.change_password(current_password="Sandbox-Pass-1", new_password="Changed-pass-2", token=token)
    assert_error(exc.value, ProviderAuthenticationError, "invalid_token", 203)


def test_every_call_answers_503_during_an_outage(sandbox, client):
    configure(sandbox, service_unavailable=True)
    calls = [
        client.check,
        lambda: client.register(phone=NEW_PHONE, name="Hiba Ali", password="Hiba-pass-1"),
        lambda: client.verify(phone=sb.PHONE_ACTIVE, otp=sb.OTP_CODE),
        lambda: client.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-1"),
        lambda: client.reset_password(phone=sb.PHONE_ACTIVE, new_password="Fresh-pass-9",
                                      token=sb.TOKEN_ACTIVE_USER),
        lambda: client.change_password(current_password="Sandbox-Pass-1", new_password="Changed-pass-2",
                                       token=sb.TOKEN_ACTIVE_USER),
    ]
    calls.append(lambda: client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812",
                                                token=sb.TOKEN_ACTIVE_USER))
    for call in calls:
        with pytest.raises(ProviderUnavailable) as exc:
            call()
        assert_error(exc.value, ProviderUnavailable, "service_unavailable", 503)


def test_bad_api_key_is_refused_on_every_call(sandbox, state):
    client = fast_client(sandbox, "enayapay", api_key="enaya_wrong_key_000000")
    calls = [
        client.check,
        lambda: client.register(phone=NEW_PHONE, name="Hiba Ali", password="Hiba-pass-1"),
        lambda: client.verify(phone=sb.PHONE_ACTIVE, otp=sb.OTP_CODE),
        lambda: client.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-1"),
        lambda: client.reset_password(phone=sb.PHONE_ACTIVE, new_password="Fresh-pass-9",
                                      token=sb.TOKEN_ACTIVE_USER),
        lambda: client.change_password(current_password="Sandbox-Pass-1", new_password="Changed-pass-2",
                                       token=sb.TOKEN_ACTIVE_USER),
    ]
    for call in calls:
        with pytest.raises(ProviderAuthenticationError) as exc:
            call()
        assert_error(exc.value, ProviderAuthenticationError, "invalid_api_key", 401)
    with pytest.raises(ProviderAuthenticationError) as exc:
        client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    assert_error(exc.value, ProviderAuthenticationError, "invalid_api_key", 401)
    assert NEW_PHONE not in state.users


# -- balance inquiry: every EBS code -----------------------------------------------------------

@pytest.mark.parametrize("code", sorted(sb.TRIGGER_CARDS))
def test_trigger_cards_answer_their_ebs_code(client, code):
    with pytest.raises(ProviderError) as exc:
        client.balance_inquiry(pan=sb.TRIGGER_CARDS[code], ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    cls, sentence = EBS_RESPONSES[code]
    assert_error(exc.value, cls, f"ebs_{code}", 406)
    assert exc.value.message == sentence


@pytest.mark.parametrize(
    ("pan", "ipin", "expiry", "code"),
    [
        (sb.CARD_OK, "111111", "2812", 55),
        (sb.CARD_OK, sb.IPIN, "2901", 602),
        (sb.CARD_EXPIRED, sb.IPIN, "2301", 554),
        (sb.CARD_UNISSUED, sb.IPIN, "2812", 601),
        ("9999010000000012", sb.IPIN, "2812", 601),  # fails Luhn
    ],
)
def test_card_data_that_triggers_ebs_codes(client, pan, ipin, expiry, code):
    with pytest.raises(ProviderRejected) as exc:
        client.balance_inquiry(pan=pan, ipin=ipin, expiry=expiry, token=sb.TOKEN_ACTIVE_USER)
    assert_error(exc.value, ProviderRejected, f"ebs_{code}", 406)


def test_third_wrong_ipin_blocks_the_card(client, state):
    codes = []
    for _ in range(4):
        with pytest.raises(ProviderRejected) as exc:
            client.balance_inquiry(pan=sb.CARD_OK, ipin="111111", expiry="2812", token=sb.TOKEN_ACTIVE_USER)
        codes.append(exc.value.code)
    assert codes == ["ebs_55", "ebs_55", "ebs_375", "ebs_375"]
    with pytest.raises(ProviderRejected) as exc:
        client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    assert exc.value.code == "ebs_375"
    assert "too many times" in exc.value.message
    assert state.cards[sb.CARD_OK].blocked


def test_right_ipin_resets_the_wrong_tries(client, state):
    with pytest.raises(ProviderRejected):
        client.balance_inquiry(pan=sb.CARD_OK, ipin="111111", expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    assert state.cards[sb.CARD_OK].wrong_tries == 0


def test_a_repeated_uuid_is_refused_as_invalid_transaction(client, monkeypatch):
    fixed = uuid.UUID("0b7c1a52-6f1e-4d36-9a57-0c1d2e3f4a5b")
    monkeypatch.setattr("providers.enayapay.client.uuidlib.uuid4", lambda: fixed)
    client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    with pytest.raises(ProviderRejected) as exc:
        client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    assert_error(exc.value, ProviderRejected, "ebs_412", 406)


@pytest.mark.parametrize(
    ("pan", "ipin", "token", "cls", "code", "status"),
    [
        (sb.CARD_OK, sb.IPIN, "bogus-token", ProviderAuthenticationError, "invalid_token", 203),
        (sb.CARD_SWITCH_DOWN, sb.IPIN, sb.TOKEN_ACTIVE_USER, ProviderUnavailable, "card_network_unavailable", 502),
    ],
)
def test_balance_inquiry_errors(client, pan, ipin, token, cls, code, status):
    with pytest.raises(cls) as exc:
        client.balance_inquiry(pan=pan, ipin=ipin, expiry="2812", token=token)
    assert_error(exc.value, cls, code, status)


def test_an_answer_for_another_uuid_is_not_trusted(client, state, monkeypatch):
    def answer_for_someone_else(pan, ipin, expiry, request_uuid):
        return json_response({"response_code": 0, "balance": 99999, "response_status": "Successful",
                              "uuid": str(uuid.uuid4())})

    monkeypatch.setattr(state, "_inquire", answer_for_someone_else)
    with pytest.raises(ProviderInvalidResponse) as exc:
        client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    assert_error(exc.value, ProviderInvalidResponse, "uuid_mismatch", 200)
    assert "99999" not in str(exc.value)
