"""Vospay fault matrix: reads are retried and recover; finalize (money) is sent exactly
once and an answer it never got is an unknown outcome that verify-transaction resolves;
the other writes are sent once and fail as unavailable."""

from __future__ import annotations

import time

import pytest

from providers.base.client import Timeouts
from providers.base.errors import ProviderInvalidResponse, ProviderOutcomeUnknown, ProviderUnavailable
from providers.vospay import sandbox as vs
from providers.vospay.types import OrderItem
from tests.conftest import arm_fault
from tests.helpers import fast_client, requests_to
from tests.providers.vospay_support import NOTIFY, idr, sign_in


@pytest.fixture
def checkout(sandbox):
    """A client, an authorized 30,100 IDR order and a token confirmed for it."""
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    authorized = client.authorize_transaction(
        access_token=token, vospay_number="2340010000000001", order_id="B0001",
        items=[OrderItem("Product A", 2, idr(10000)), OrderItem("Product B", 1, idr(5000))],
        shipping_cost=idr(5000), insurance_cost=idr(100),
    )
    confirm = sign_in(client, action="transaction", gross=authorized.gross_amount)
    return client, authorized, confirm


def finalize(client, authorized, confirm):
    return client.finalize_transaction(access_token=confirm, transaction_id=authorized.transaction_id,
                                       installment_id="2", notify_url=NOTIFY)


def verdict(client, authorized) -> str:
    return client.verify_transaction(transaction_id=authorized.transaction_id, order_id="B0001",
                                     gross_amount=authorized.gross_amount).status


# -- reads: retried ------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["500", "502", "503"])
def test_a_read_is_retried_after_a_5xx_and_succeeds(sandbox, fault):
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    arm_fault(sandbox, "vospay", "profile", fault)
    assert client.profile(access_token=token).full_name == "Siti Rohanah"
    assert requests_to(sandbox, "vospay", "/my-profile") == 2


def test_a_read_is_retried_after_a_timeout_and_succeeds(sandbox):
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    arm_fault(sandbox, "vospay", "contracts", "timeout", delay=1.0)
    assert client.contracts(access_token=token).total == 1
    assert requests_to(sandbox, "vospay", "/transactions") == 2


def test_a_read_that_keeps_failing_is_unavailable_after_the_retry_budget(sandbox):
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    arm_fault(sandbox, "vospay", "accounts", "503", count=5)
    with pytest.raises(ProviderUnavailable) as e:
        client.accounts(access_token=token)
    assert (e.value.code, e.value.http_status) == ("http_503", 503)
    assert requests_to(sandbox, "vospay", "/accounts") == 3


def test_malformed_json_on_a_read_is_an_invalid_response(sandbox):
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    arm_fault(sandbox, "vospay", "merchants", "malformed")
    with pytest.raises(ProviderInvalidResponse) as e:
        client.merchants(access_token=token)
    assert e.value.code == "malformed_json"
    assert requests_to(sandbox, "vospay", "/merchants") == 1


def test_slow_but_in_time_answers_are_fine(sandbox):
    patient = fast_client(sandbox, "vospay", merchant_key=None, timeouts=Timeouts(connect=1, read=2.0))
    token = sign_in(patient)
    arm_fault(sandbox, "vospay", "profile", "slow", delay=0.25)

    started = time.monotonic()
    profile = patient.profile(access_token=token)
    elapsed = time.monotonic() - started

    assert elapsed >= 0.25, "the slow fault did not delay the answer"
    assert profile.email == "siti.rohanah@example.id"
    assert requests_to(sandbox, "vospay", "/my-profile") == 1


@pytest.mark.parametrize("fault, options", [("502", {}), ("timeout", {"delay": 1.0})])
def test_verify_transaction_is_a_read_and_is_retried(checkout, sandbox, fault, options):
    client, authorized, _ = checkout
    arm_fault(sandbox, "vospay", "verify_transaction", fault, **options)
    assert verdict(client, authorized) == "failed"  # not finalized yet
    assert requests_to(sandbox, "vospay", "/verify-transaction") == 2


def test_verify_transaction_bare_500_is_retried_not_a_refusal(checkout, sandbox):
    client, authorized, _ = checkout
    arm_fault(sandbox, "vospay", "verify_transaction", "500")
    # A 500 without Vospay's error shape is a fault, not the documented refusal: the
    # read is retried and the second answer stands.
    assert verdict(client, authorized) == "failed"  # "Invalid": not finalized yet
    assert requests_to(sandbox, "vospay", "/verify-transaction") == 2


def test_verify_transaction_bare_500_every_time_is_unavailable(checkout, sandbox):
    client, authorized, _ = checkout
    arm_fault(sandbox, "vospay", "verify_transaction", "500", count=5)
    with pytest.raises(ProviderUnavailable) as e:
        verdict(client, authorized)
    assert (e.value.code, e.value.http_status) == ("http_500", 500)
    assert requests_to(sandbox, "vospay", "/verify-transaction") == 3


# -- finalize: moves money, sent once -------------------------------------------------------
@pytest.mark.parametrize("fault, options, moved", [
    ("timeout", {"delay": 1.0}, True),  # acted, the answer was lost
    ("500", {}, False),
    ("500", {"act": True}, True),
    ("502", {"act": True}, True),
    ("malformed", {}, True),
])
def test_finalize_without_a_readable_answer_is_unknown_sent_once_and_resolved_by_verify(
    checkout, sandbox, fault, options, moved
):
    client, authorized, confirm = checkout
    arm_fault(sandbox, "vospay", "finalize_transaction", fault, **options)
    with pytest.raises(ProviderOutcomeUnknown) as e:
        finalize(client, authorized, confirm)
    assert e.value.code.startswith("outcome_unknown") or e.value.code == "malformed_json"
    assert "may or may not have gone through" in e.value.message
    assert requests_to(sandbox, "vospay", "/finalize-transaction") == 1
    assert verdict(client, authorized) == ("succeeded" if moved else "failed")


def test_finalize_503_is_unavailable_and_not_resent(checkout, sandbox):
    client, authorized, confirm = checkout
    arm_fault(sandbox, "vospay", "finalize_transaction", "503")
    with pytest.raises(ProviderUnavailable) as e:
        finalize(client, authorized, confirm)
    assert e.value.http_status == 503
    assert requests_to(sandbox, "vospay", "/finalize-transaction") == 1
    assert verdict(client, authorized) == "failed"
    assert finalize(client, authorized, confirm).status == "succeeded"  # the person may try again


# -- other writes: not idempotent, sent once --------------------------------------------------
def test_otp_send_is_not_retried_as_each_attempt_texts_the_customer(sandbox):
    client = fast_client(sandbox, "vospay")
    arm_fault(sandbox, "vospay", "send_otp", "timeout", delay=1.0)
    with pytest.raises(ProviderUnavailable) as e:
        client.send_otp(phone=vs.PHONE_SITI, action="activation")
    assert e.value.code == "timeout"
    assert requests_to(sandbox, "vospay", "/otp/08110000002") == 1


def test_otp_send_bare_500_is_unavailable_not_an_unknown_phone(sandbox):
    client = fast_client(sandbox, "vospay")
    arm_fault(sandbox, "vospay", "send_otp", "500")
    with pytest.raises(ProviderUnavailable) as e:
        client.send_otp(phone=vs.PHONE_SITI, action="activation")
    assert (e.value.code, e.value.http_status) == ("http_500", 500)
    assert requests_to(sandbox, "vospay", "/otp/08110000002") == 1


@pytest.mark.parametrize("fault, options", [("502", {}), ("timeout", {"delay": 1.0})])
def test_authorize_is_sent_once(sandbox, fault, options):
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    arm_fault(sandbox, "vospay", "authorize_transaction", fault, **options)
    with pytest.raises(ProviderUnavailable):
        client.authorize_transaction(access_token=token, vospay_number="2340010000000001", order_id="B9",
                                     items=[OrderItem("A", 1, idr(1000))])
    assert requests_to(sandbox, "vospay", "/authorize-transaction") == 1


def test_sign_in_is_sent_once(sandbox):
    client = fast_client(sandbox, "vospay")
    client.send_otp(phone=vs.PHONE_SITI, action="activation")
    arm_fault(sandbox, "vospay", "create_access_token", "502")
    with pytest.raises(ProviderUnavailable):
        client.create_access_token(strategy="otp", phone=vs.PHONE_SITI, code=vs.TEST_OTP)
    assert requests_to(sandbox, "vospay", "/authentication") == 1
