"""The notify callback Vospay POSTs to the finalize's ``notifyEndpoint`` once the
multifinance approves the contract, read by ``parse_notify_callback`` and confirmed
with verify-transaction; and redaction of every secret the Vospay calls carry."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

import pytest

from providers.base.errors import ProviderError
from providers.vospay import sandbox as vs
from providers.vospay.client import parse_notify_callback
from providers.vospay.types import OrderItem
from tests.conftest import arm_fault
from tests.helpers import fast_client
from tests.providers.vospay_support import idr, sign_in


def buy(client, phone, number, notify_url, *, price=10000, installment="2"):
    token = sign_in(client, phone)
    authorized = client.authorize_transaction(
        access_token=token, vospay_number=number, order_id="B0001",
        items=[OrderItem("Product A", 2, idr(price)), OrderItem("Product B", 1, idr(5000))],
        shipping_cost=idr(5000), insurance_cost=idr(100),
    )
    confirm = sign_in(client, phone, "transaction", authorized.gross_amount)
    client.finalize_transaction(access_token=confirm, transaction_id=authorized.transaction_id,
                                installment_id=installment, notify_url=notify_url)
    return token, authorized


def test_notify_is_posted_after_approval_and_confirmed_by_verify(sandbox, callback_receiver):
    sandbox.sandbox("vospay").configure({"completion_delay": 0.4})
    client = fast_client(sandbox, "vospay")
    token, authorized = buy(client, vs.PHONE_SITI, "2340010000000001", callback_receiver.url)
    assert not callback_receiver.bodies  # pending: the multifinance has not approved yet
    callback_receiver.wait(1, timeout=3)  # raises if no notify arrived
    notice = parse_notify_callback(callback_receiver.bodies[0])
    assert (notice.transaction_id, notice.order_id, notice.gross_amount) == (authorized.transaction_id, "B0001",
                                                                            idr(30100))
    assert (notice.raw_status, notice.status, notice.installment_id) == ("Approved", "succeeded", "2")
    assert notice.vospay_number == "2340010000000001" and notice.timestamp is not None
    contract = client.contracts(access_token=token).contracts[0]
    assert (contract.contract_number, contract.status) == (notice.contract_number, "succeeded")
    confirmed = client.verify_transaction(transaction_id=notice.transaction_id, order_id=notice.order_id,
                                          gross_amount=notice.gross_amount)
    assert confirmed.valid
    (record,) = sandbox.sandbox("vospay").callbacks
    assert (record["url"], record["status"]) == (callback_receiver.url, 200)


def test_a_contract_past_its_approval_time_is_resolved_when_looked_at(sandbox, callback_receiver):
    box = sandbox.sandbox("vospay")
    box.configure({"completion_delay": 0.3})
    client = fast_client(sandbox, "vospay")
    token, _ = buy(client, vs.PHONE_SITI, "2340010000000001", callback_receiver.url)
    with box.lock:
        for timer in box._timers:
            timer.cancel()  # the timer never fires: only the lazy path can approve
    time.sleep(0.35)
    assert client.contracts(access_token=token).contracts[0].raw_status == "Approved"
    callback_receiver.wait(1, timeout=3)  # raises if no notify arrived
    assert parse_notify_callback(callback_receiver.bodies[0]).raw_status == "Approved"


def test_refused_purchases_notify_nobody(sandbox, callback_receiver):
    sandbox.sandbox("vospay").configure({"completion_delay": 0.05})
    client = fast_client(sandbox, "vospay")
    with pytest.raises(ProviderError):
        buy(client, vs.PHONE_LOCKED, "2340010000000004", callback_receiver.url)
    with pytest.raises(ProviderError):
        buy(client, vs.PHONE_LIMITED, "2350010000000005", callback_receiver.url, price=50000)
    time.sleep(0.2)
    assert callback_receiver.bodies == [] and sandbox.sandbox("vospay").callbacks == []


# -- redaction ------------------------------------------------------------------------------
def test_no_secret_reaches_a_log_line_or_an_error(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    client = fast_client(sandbox, "vospay")
    raised: list[ProviderError] = []
    tokens = [sign_in(client)]
    tokens.append(client.create_access_token(strategy="email", email="siti.rohanah@example.id",
                                             password=vs.ACCESS_CODE_SITI).token)
    tokens.append(client.create_access_token(strategy="phone", phone=vs.PHONE_LOCKED,
                                             password=vs.ACCESS_CODE_BUDI).token)
    client.merchants(access_token=tokens[0])  # the answer carries every merchant's secretKey
    profile = client.profile(access_token=tokens[0])
    client.register_account(access_token=tokens[0], vospay_number="2340010000000001",
                            password=vs.ACCESS_CODE_SITI)
    client.change_access_code(access_token=tokens[0], new_access_code=vs.ACCESS_CODE_DEWI)
    client.send_otp(phone=vs.PHONE_LIMITED, action="activation")
    for call in (
        lambda: client.create_access_token(strategy="otp", phone=vs.PHONE_SITI, code=vs.TEST_OTP),  # spent
        lambda: client.create_access_token(strategy="phone", phone=vs.PHONE_LIMITED, password=vs.ACCESS_CODE_SITI),
        lambda: client.profile(access_token=tokens[1][:-3] + "xyz"),
    ):
        with pytest.raises(ProviderError) as e:
            call()
        raised.append(e.value)
    arm_fault(sandbox, "vospay", "create_access_token", "timeout", delay=1.0)
    with pytest.raises(ProviderError) as e:
        client.create_access_token(strategy="otp", phone=vs.PHONE_LIMITED, code=vs.TEST_OTP)
    raised.append(e.value)

    text = caplog.text + "\n".join(f"{err} {err.upstream_message}" for err in raised)
    assert "vospay create_access_token" in caplog.text  # the calls were logged
    for secret in (*vs.TEST_SECRETS, *tokens):
        assert secret not in text, f"a secret ending …{secret[-2:]} leaked"
    assert profile.nik not in caplog.text
    assert "2340010000000001" not in caplog.text  # account numbers are redacted by key


def test_notify_writes_money_as_exact_json_numbers(sandbox, callback_receiver):
    """14,100 over 6 months at 0.03 is 2,420.50 a month: the notify says 2420.50 (a float
    would say 2420.5), and the sandbox's own record keeps the Decimal."""
    sandbox.sandbox("vospay").configure({"completion_delay": 0.1})
    buy(fast_client(sandbox, "vospay"), vs.PHONE_SITI, "2340010000000001", callback_receiver.url, price=2000,
        installment="2")
    callback_receiver.wait(1, timeout=3)  # raises if no notify arrived
    body = callback_receiver.bodies[0]
    assert b'"grossAmount": 14100,' in body and b'"installment": 2420.50,' in body
    (record,) = sandbox.sandbox("vospay").callbacks
    assert record["body"]["installment"] == Decimal("2420.50")
    assert parse_notify_callback(body).gross_amount == idr(14100)
