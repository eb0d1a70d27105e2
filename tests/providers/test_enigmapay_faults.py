"""The fault matrix: reads are retried and recover (or fail as unavailable / invalid);
send-money is sent exactly once and a lost answer is "outcome unknown", resolved from the
IBAN history; the card payment link is sent once and never reported as moved money."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from providers.base.client import RetryPolicy, Timeouts
from providers.base.errors import ProviderInvalidResponse, ProviderOutcomeUnknown, ProviderUnavailable
from providers.enigmapay.client import EnigmaPayClient
from providers.enigmapay.sandbox import CUSTOMER_IBAN_OK, TEST_API_KEY, TEST_SECRET_KEY
from tests.conftest import arm_fault
from tests.helpers import fast_client, requests_to
from tests.providers import enigmapay_support as enigmapay

client = enigmapay.client

P = "enigmapay"
READS = {
    "settings": (lambda c: c.settings(), "/settings"),
    "ibans": (lambda c: c.ibans(), "/ibans"),
    "iban_transactions": (lambda c: c.iban_transactions(iban_id=1), "/transactions"),
    "transaction_status": (lambda c: c.transaction_status(transaction_id=1005), "/transaction-status"),
}


def pay_out(client, description="Paydesk payout PO-77"):
    return client.send_money(username="user123", amount=Decimal("500.00"), customer_iban=CUSTOMER_IBAN_OK,
                             customer_name="John Doe", description=description)


def card_payment(client):
    return client.credit_card_payment(username="user123", firstname="A", lastname="B", email="a@example.com",
                                      phone="05551112233", amount=Decimal("300.00"))


def payouts_in_history(client, description="Paydesk payout PO-77"):
    return [t for t in client.iban_transactions(iban_id=1) if t.description == description]


# -- reads ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", READS)
@pytest.mark.parametrize("fault", ["500", "502", "503"])
def test_a_read_is_retried_after_a_5xx_and_succeeds(sandbox, client, operation, fault):
    call, path = READS[operation]
    arm_fault(sandbox, P, operation, fault)

    assert call(client)
    assert requests_to(sandbox, P, path) == 2


@pytest.mark.parametrize("operation", ["ibans", "transaction_status"])
def test_a_read_that_times_out_is_retried_and_succeeds(sandbox, client, operation):
    call, path = READS[operation]
    arm_fault(sandbox, P, operation, "timeout", delay=1.0)

    assert call(client)
    assert requests_to(sandbox, P, path) == 2


def test_a_read_that_always_times_out_is_unavailable_after_three_attempts(sandbox, client):
    arm_fault(sandbox, P, "settings", "timeout", delay=0.8, count=3)

    with pytest.raises(ProviderUnavailable) as caught:
        client.settings()

    assert caught.value.code == "timeout"
    assert requests_to(sandbox, P, "/settings") == 3


def test_a_read_that_keeps_answering_503_is_unavailable(sandbox, client):
    arm_fault(sandbox, P, "ibans", "503", count=3)

    with pytest.raises(ProviderUnavailable) as caught:
        client.ibans()

    assert (caught.value.code, caught.value.http_status) == ("http_503", 503)
    assert requests_to(sandbox, P, "/ibans") == 3


@pytest.mark.parametrize("operation", READS)
def test_a_read_answered_with_broken_json_is_an_invalid_response(sandbox, client, operation):
    call, path = READS[operation]
    arm_fault(sandbox, P, operation, "malformed")

    with pytest.raises(ProviderInvalidResponse) as caught:
        call(client)

    assert (caught.value.code, caught.value.http_status) == ("malformed_json", 200)
    assert requests_to(sandbox, P, path) == 1


def test_a_slow_read_within_the_timeout_is_fine(sandbox):
    patient = fast_client(sandbox, P, timeouts=Timeouts(connect=1, read=2.0))
    arm_fault(sandbox, P, "ibans", "slow", delay=0.25)

    started = time.monotonic()
    ibans = patient.ibans()
    elapsed = time.monotonic() - started

    assert elapsed >= 0.25, "the slow fault did not delay the answer"
    assert len(ibans) == 3
    assert requests_to(sandbox, P, "/ibans") == 1


# -- send money: exactly one request, outcome unknown when money may have moved -----------------------------
def test_send_money_timeout_is_outcome_unknown_sent_once_and_resolved_from_history(sandbox, client):
    arm_fault(sandbox, P, "send_money", "timeout", delay=1.0)  # the sandbox acts, the answer is lost

    with pytest.raises(ProviderOutcomeUnknown) as caught:
        pay_out(client)

    assert (caught.value.code, caught.value.http_status) == ("outcome_unknown_timeout", None)
    assert requests_to(sandbox, P, "/send-money") == 1
    [found] = payouts_in_history(client)
    assert client.transaction_status(transaction_id=found.id).amount.amount == Decimal("500.00")


def test_send_money_timeout_before_acting_is_still_unknown_and_nothing_moved(sandbox, client):
    arm_fault(sandbox, P, "send_money", "timeout", delay=1.0, act=False)

    with pytest.raises(ProviderOutcomeUnknown):
        pay_out(client)

    assert requests_to(sandbox, P, "/send-money") == 1
    assert payouts_in_history(client) == []


@pytest.mark.parametrize(("fault", "act"), [("500", False), ("502", False), ("500", True)])
def test_send_money_5xx_is_outcome_unknown_and_never_resent(sandbox, client, fault, act):
    arm_fault(sandbox, P, "send_money", fault, act=act)

    with pytest.raises(ProviderOutcomeUnknown) as caught:
        pay_out(client)

    assert (caught.value.code, caught.value.http_status) == (f"outcome_unknown_http_{fault}", int(fault))
    assert requests_to(sandbox, P, "/send-money") == 1
    assert len(payouts_in_history(client)) == (1 if act else 0)


def test_send_money_503_is_unavailable_sent_once_and_nothing_moved(sandbox, client):
    arm_fault(sandbox, P, "send_money", "503")

    with pytest.raises(ProviderUnavailable) as caught:
        pay_out(client)

    assert (caught.value.code, caught.value.http_status) == ("http_503", 503)
    assert requests_to(sandbox, P, "/send-money") == 1
    assert payouts_in_history(client) == []


def test_send_money_answered_with_broken_json_is_outcome_unknown(sandbox, client):
    arm_fault(sandbox, P, "send_money", "malformed")

    with pytest.raises(ProviderOutcomeUnknown) as caught:
        pay_out(client)

    assert (caught.value.code, caught.value.http_status) == ("malformed_json", 200)
    assert requests_to(sandbox, P, "/send-money") == 1
    assert len(payouts_in_history(client)) == 1


def test_send_money_that_never_reaches_the_upstream_is_unavailable_not_unknown():
    client = EnigmaPayClient(
        base_url="http://127.0.0.1:9/enigmapay/api/dealer", api_key=TEST_API_KEY, secret_key=TEST_SECRET_KEY,
        timeouts=Timeouts(connect=0.5, read=0.5), retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02),
    )

    with pytest.raises(ProviderUnavailable) as caught:
        pay_out(client)

    assert caught.value.code == "connection_failed"


# -- credit card payment link: sent once, no money moved -------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "options", "error", "code"),
    [
        ("timeout", {"delay": 1.0}, ProviderUnavailable, "timeout"),
        ("500", {}, ProviderUnavailable, "http_500"),
        ("502", {}, ProviderUnavailable, "http_502"),
        ("503", {}, ProviderUnavailable, "http_503"),
        ("malformed", {}, ProviderInvalidResponse, "malformed_json"),
    ],
)
def test_credit_card_payment_is_never_resent(sandbox, client, fault, options, error, code):
    arm_fault(sandbox, P, "credit_card_payment", fault, **options)

    with pytest.raises(error) as caught:
        card_payment(client)

    assert caught.value.code == code
    assert not isinstance(caught.value, ProviderOutcomeUnknown)
    assert requests_to(sandbox, P, "/credit-card/payment") == 1
