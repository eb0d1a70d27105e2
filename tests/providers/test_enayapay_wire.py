"""What the EnayaPay client puts on the wire: paths, headers, JSON bodies, the IPIN block."""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal

import requests
from cryptography.hazmat.primitives.asymmetric import padding

from providers.base.client import Timeouts
from providers.enayapay import sandbox as sb
from tests.helpers import fast_client
from tests.providers import enayapay_support as enayapay

client, state = enayapay.client, enayapay.state


def last(state, path: str):
    request = [r for r in state.received if r.path == path][-1]
    assert request.query == ""
    assert request.headers["x-api-key"] == sb.API_KEY
    assert "authorization" not in request.headers
    return request


def posted_json(request) -> dict:
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.body)


def test_register_wire(client, state):
    client.register(phone="+249 91 200 0007", name="Hiba Ali", password="Hiba-pass-1")
    request = last(state, "/register/")
    assert "token" not in request.headers
    assert posted_json(request) == {"user_phone": "249912000007", "user_name": "Hiba Ali",
                                    "user_password": "Hiba-pass-1"}


def test_verify_and_login_wire(client, state):
    client.verify(phone=sb.PHONE_ACTIVE, otp=sb.OTP_CODE)
    request = last(state, "/verify/")
    assert "token" not in request.headers
    assert posted_json(request) == {"user_phone": sb.PHONE_ACTIVE, "user_otp": sb.OTP_CODE}

    client.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-1")
    request = last(state, "/login/")
    assert "token" not in request.headers
    assert posted_json(request) == {"user_phone": sb.PHONE_ACTIVE, "user_password": "Sandbox-Pass-1"}


def test_reset_password_wire_uses_the_docs_rest_path(client, state):
    client.reset_password(phone=sb.PHONE_ACTIVE, new_password="Fresh-pass-9", token=sb.TOKEN_ACTIVE_USER)
    request = last(state, "/rest/password/")
    assert request.headers["token"] == sb.TOKEN_ACTIVE_USER
    assert posted_json(request) == {"user_phone": sb.PHONE_ACTIVE, "user_password": "Fresh-pass-9"}


def test_change_password_wire(client, state):
    client.change_password(current_password="Sandbox-Pass-1", new_password="Changed-pass-2",
                           token=sb.TOKEN_ACTIVE_USER)
    request = last(state, "/change/password/")
    assert request.headers["token"] == sb.TOKEN_ACTIVE_USER
    assert posted_json(request) == {"current_password": "Sandbox-Pass-1", "new_password": "Changed-pass-2"}


def test_check_wire(client, state):
    client.check()
    request = last(state, "/login/")
    assert request.method == "POST" and posted_json(request) == {}
    assert "token" not in request.headers


def test_balance_inquiry_sends_only_an_encrypted_ipin_bound_to_the_uuid(client, state):
    result = client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    request = last(state, "/balance/inquiry/")
    assert request.headers["token"] == sb.TOKEN_ACTIVE_USER
    body = posted_json(request)
    assert set(body) == {"pan", "ipin", "uuid", "expiration_date"}
    assert body["pan"] == sb.CARD_OK and body["expiration_date"] == "2812"
    assert len(body["uuid"]) == 36 and uuid.UUID(body["uuid"]).version == 4
    assert body["uuid"] == result.uuid

    block = base64.b64decode(body["ipin"], validate=True)
    assert len(block) == 256  # one RSA-2048 block
    assert body["ipin"] != sb.IPIN
    plain = state._private_key.decrypt(block, padding.PKCS1v15()).decode()
    assert plain == body["uuid"] + sb.IPIN


def test_each_inquiry_has_a_fresh_uuid_and_block(client, state):
    for _ in range(2):
        client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    bodies = [json.loads(r.body) for r in state.received if r.path == "/balance/inquiry/"]
    assert bodies[0]["uuid"] != bodies[1]["uuid"]
    assert bodies[0]["ipin"] != bodies[1]["ipin"]


def test_sandbox_refuses_a_clear_ipin_and_a_block_for_another_uuid(sandbox, state):
    url = f"{sandbox.base_url('enayapay')}/balance/inquiry/"
    headers = {"x-api-key": sb.API_KEY, "token": sb.TOKEN_ACTIVE_USER}
    body = {"pan": sb.CARD_OK, "ipin": sb.IPIN, "uuid": str(uuid.uuid4()), "expiration_date": "2812"}
    answer = requests.post(url, json=body, headers=headers, timeout=5)
    assert answer.status_code == 400 and "ipin" in answer.json()["details"]

    client = fast_client(sandbox, "enayapay")
    client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    replayed = json.loads(state.received[-1].body)
    answer = requests.post(url, json={**replayed, "uuid": str(uuid.uuid4())}, headers=headers, timeout=5)
    assert answer.status_code == 400 and "ipin" in answer.json()["details"]


def test_sandbox_error_bodies_match_the_doc(sandbox):
    base = sandbox.base_url("enayapay")
    headers = {"x-api-key": sb.API_KEY}
    missing = requests.post(f"{base}/register/", json={"user_phone": "249912000007", "user_name": "x"},
                            headers=headers, timeout=5)
    assert missing.status_code == 400
    assert missing.json() == {"details": {"user_password": ["This field is required."]}}
    invalid = requests.post(f"{base}/register/", headers=headers, timeout=5,
                            json={"user_phone": sb.PHONE_INVALID, "user_name": "x", "user_password": "Long-enough-1"})
    assert (invalid.status_code, invalid.json()) == (406, {"details": "your number not valid"})
    unknown = requests.post(f"{base}/login/", headers=headers, timeout=5,
                            json={"user_phone": sb.PHONE_REMOVED, "user_password": "Long-enough-1"})
    assert (unknown.status_code, unknown.json()) == (404, {"details": "user not registered"})
    no_key = requests.post(f"{base}/verify/", json={}, timeout=5)
    assert (no_key.status_code, no_key.content) == (401, b"")
    wrong_otp = requests.post(f"{base}/verify/", headers=headers, timeout=5,
                              json={"user_phone": sb.PHONE_ACTIVE, "user_otp": "000000"})
    assert (wrong_otp.status_code, wrong_otp.content) == (203, b"")
    ebs = requests.post(f"{base}/balance/inquiry/", headers={**headers, "token": sb.TOKEN_ACTIVE_USER}, timeout=5,
                        json={"pan": sb.CARD_OK, "ipin": "x", "uuid": "short", "expiration_date": "2812"})
    assert ebs.status_code == 400 and set(ebs.json()["details"]) == {"uuid"}


def test_sandbox_writes_the_balance_as_an_exact_json_number(sandbox, state):
    """The balance stays a Decimal in the sandbox and goes out as written (1234.50), never
    through a float (which would write 1234.5)."""
    state.cards[sb.CARD_OK].balance = Decimal("1234.50")
    answers: list[str] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: answers.append(response.text))
    client = fast_client(sandbox, "enayapay", session=session, timeouts=Timeouts(connect=1, read=2))

    result = client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)

    assert '"balance": 1234.50' in answers[-1]
    assert str(result.balance.amount) == "1234.50"
    state.cards[sb.CARD_OK].balance = Decimal("400")
    client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    assert '"balance": 400,' in answers[-1]  # a whole amount stays an integer, as the doc shows it
