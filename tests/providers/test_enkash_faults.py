"""Fault matrix for EnKash: reads are retried; a payment and a refund are each sent once
(a refund may be sent again by the caller, with the same requestId, to learn its fate)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from providers.base.client import Timeouts
from providers.base.errors import ProviderInvalidResponse, ProviderOutcomeUnknown, ProviderRejected, ProviderUnavailable
from tests.conftest import arm_fault
from tests.helpers import fast_client, requests_to
from tests.providers import enkash_support as enkash
from tests.providers.enkash_support import CARD_OK, order

sb, client = enkash.sb, enkash.client

SUBMIT = "/api/v0/payment/submit"


def pay(client):
    return client.submit_payment_detail(order_id="ORD1", amount="1000.00", payment_mode="CREDIT_CARD", card=CARD_OK)


# -- a read: retried ------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["timeout", "500", "502", "503"])
def test_read_is_retried_and_succeeds(client, sandbox, sb, fault):
    order(client)
    arm_fault(sandbox, "enkash", "order_status", fault, delay=1.0)
    assert client.order_status(order_id="ORD1").raw_status == "CREATED"
    assert requests_to(sandbox, "enkash", "/api/v0/orders/ORD1") == 2


def test_read_that_keeps_failing_is_unavailable(client, sandbox, sb):
    order(client)
    arm_fault(sandbox, "enkash", "order_status", "503", count=3)
    with pytest.raises(ProviderUnavailable) as caught:
        client.order_status(order_id="ORD1")
    assert (caught.value.code, caught.value.http_status) == ("http_503", 503)
    assert requests_to(sandbox, "enkash", "/api/v0/orders/ORD1") == 3


def test_read_that_times_out_every_time_is_unavailable(client, sandbox, sb):
    arm_fault(sandbox, "enkash", "settlement_payout", "timeout", count=3, delay=0.7)
    with pytest.raises(ProviderUnavailable) as caught:
        client.settlement_payout(payout_id="EKSP1")
    assert caught.value.code == "timeout"
    assert requests_to(sandbox, "enkash", "/api/v0/settlement-payout/EKSP1") == 3


def test_malformed_read_is_an_invalid_response(client, sandbox, sb):
    order(client)
    arm_fault(sandbox, "enkash", "order_status", "malformed")
    with pytest.raises(ProviderInvalidResponse) as caught:
        client.order_status(order_id="ORD1")
    assert caught.value.code == "malformed_json"
    assert requests_to(sandbox, "enkash", "/api/v0/orders/ORD1") == 1


def test_slow_answer_within_the_timeout_is_fine(sandbox, sb):
    patient = fast_client(sandbox, "enkash", timeouts=Timeouts(connect=1, read=2.0))
    patient.authorization_token()  # the token call is not the one being slowed
    arm_fault(sandbox, "enkash", "search_qr_codes", "slow", delay=0.25)

    started = time.monotonic()
    page = patient.search_qr_codes()
    elapsed = time.monotonic() - started

    assert elapsed >= 0.25, "the slow fault did not delay the answer"
    assert page.total_count == 0
    assert requests_to(sandbox, "enkash", "/api/v0/qr-code/search") == 1


def test_search_post_is_retried_as_a_read(client, sandbox, sb):
    arm_fault(sandbox, "enkash", "search_settlement_payouts", "502")
    assert client.search_settlement_payouts().total_count == 2
    assert requests_to(sandbox, "enkash", "/api/v0/settlement-payout/search") == 2


def test_token_call_is_retried(client, sandbox, sb):
    arm_fault(sandbox, "enkash", "authorization_token", "503")
    order(client)
    assert requests_to(sandbox, "enkash", "/api/v0/merchant/token") == 2
    assert requests_to(sandbox, "enkash", "/api/v0/orders") == 1


# -- the payment: sent exactly once -------------------------------------------------------
def test_payment_timeout_is_an_unknown_outcome_resolved_by_order_status(client, sandbox, sb):
    order(client)
    client.authorization_token()
    arm_fault(sandbox, "enkash", "submit_payment_detail", "timeout", delay=1.0)
    with pytest.raises(ProviderOutcomeUnknown) as caught:
        pay(client)
    assert caught.value.code == "outcome_unknown_timeout"
    assert requests_to(sandbox, "enkash", SUBMIT) == 1
    attempts = client.order_status(order_id="ORD1").payments
    assert [p.raw_status for p in attempts] == ["SUCCESS"]  # the sandbox acted; the answer was lost
    assert client.transaction_status(transaction_id=attempts[0].transaction_id).status == "succeeded"


@pytest.mark.parametrize("fault", ["500", "502"])
def test_payment_5xx_is_an_unknown_outcome(client, sandbox, sb, fault):
    order(client)
    arm_fault(sandbox, "enkash", "submit_payment_detail", fault, act=True)
    with pytest.raises(ProviderOutcomeUnknown) as caught:
        pay(client)
    assert (caught.value.code, caught.value.http_status) == (f"outcome_unknown_http_{fault}", int(fault))
    assert requests_to(sandbox, "enkash", SUBMIT) == 1


def test_payment_503_is_unavailable_and_not_resent(client, sandbox, sb):
    order(client)
    arm_fault(sandbox, "enkash", "submit_payment_detail", "503")
    with pytest.raises(ProviderUnavailable) as caught:
        pay(client)
    assert caught.value.http_status == 503
    assert requests_to(sandbox, "enkash", SUBMIT) == 1
    assert client.order_status(order_id="ORD1").payments == ()


def test_payment_with_malformed_answer_is_an_unknown_outcome(client, sandbox, sb):
    order(client)
    arm_fault(sandbox, "enkash", "submit_payment_detail", "malformed")
    with pytest.raises(ProviderOutcomeUnknown) as caught:
        pay(client)
    assert caught.value.code == "malformed_json"
    assert requests_to(sandbox, "enkash", SUBMIT) == 1


def test_create_order_timeout_is_not_resent(client, sandbox, sb):
    client.authorization_token()
    arm_fault(sandbox, "enkash", "create_order", "timeout", delay=1.0)
    with pytest.raises(ProviderUnavailable) as caught:
        order(client)
    assert caught.value.code == "timeout"
    assert requests_to(sandbox, "enkash", "/api/v0/orders") == 1


# -- the refund: sent exactly once; re-sending with the same requestId is the caller's ---
def refund(client, payment):
    return client.refund(transaction_id=payment.transaction_id, amount="100.00", request_id="rf-1")


def refund_path(payment) -> str:
    return f"/api/v0/payment/{payment.transaction_id}/refund"


def test_refund_timeout_is_an_unknown_outcome_after_one_request(client, sandbox, sb):
    order(client)
    payment = pay(client)
    arm_fault(sandbox, "enkash", "refund", "timeout", count=3, delay=1.0)
    with pytest.raises(ProviderOutcomeUnknown) as caught:
        refund(client, payment)
    assert (caught.value.code, caught.value.operation) == ("outcome_unknown_timeout", "refund")
    assert "may or may not have gone through" in caught.value.message
    assert requests_to(sandbox, "enkash", refund_path(payment)) == 1
    assert [r["requestId"] for r in sb.refunds.values()] == ["rf-1"]  # the sandbox acted; the answer was lost


def test_refund_500_is_an_unknown_outcome_after_one_request(client, sandbox, sb):
    order(client)
    payment = pay(client)
    arm_fault(sandbox, "enkash", "refund", "500", count=3, act=True)
    with pytest.raises(ProviderOutcomeUnknown) as caught:
        refund(client, payment)
    assert (caught.value.code, caught.value.http_status) == ("outcome_unknown_http_500", 500)
    assert requests_to(sandbox, "enkash", refund_path(payment)) == 1
    assert len(sb.refunds) == 1


def test_refund_503_is_unavailable_after_one_request_and_nothing_is_refunded(client, sandbox, sb):
    order(client)
    payment = pay(client)
    arm_fault(sandbox, "enkash", "refund", "503", count=3)
    with pytest.raises(ProviderUnavailable) as caught:
        refund(client, payment)
    assert not isinstance(caught.value, ProviderOutcomeUnknown)
    assert caught.value.http_status == 503
    assert requests_to(sandbox, "enkash", refund_path(payment)) == 1
    assert len(sb.refunds) == 0
    assert client.transaction_status(transaction_id=payment.transaction_id).refunds == ()


def test_an_unknown_refund_sent_again_with_the_same_request_id_returns_the_one_refund(client, sandbox, sb):
    order(client)
    payment = pay(client)
    arm_fault(sandbox, "enkash", "refund", "500", act=True)
    with pytest.raises(ProviderOutcomeUnknown):
        refund(client, payment)
    (made,) = sb.refunds.values()

    again = refund(client, payment)  # the caller's deliberate re-send, as the sync does

    assert requests_to(sandbox, "enkash", refund_path(payment)) == 2
    assert (again.refund_id, again.request_id, again.amount.amount) == (made["refundId"], "rf-1", 100)
    assert len(sb.refunds) == 1
    refunds = client.transaction_status(transaction_id=payment.transaction_id).refunds
    assert [(r.request_id, r.amount.amount) for r in refunds] == [("rf-1", 100)]


def test_refund_with_malformed_answer_is_an_unknown_outcome(client, sandbox, sb):
    order(client)
    payment = pay(client)
    arm_fault(sandbox, "enkash", "refund", "malformed")
    with pytest.raises(ProviderOutcomeUnknown):
        refund(client, payment)
    assert requests_to(sandbox, "enkash", refund_path(payment)) == 1


# -- an envelope code nobody documented, under HTTP 200 ------------------------------------
class UndocumentedCodeOnSubmit(requests.Session):
    """The real sandbox for every call but the payment, which gets a 200 envelope with a
    failure code EnKash never documented (the sandbox only sends documented ones)."""

    def __init__(self, code: int) -> None:
        super().__init__()
        self.code, self.submits = code, 0

    def request(self, method, url, **kwargs):
        if not url.endswith(SUBMIT):
            return super().request(method, url, **kwargs)
        self.submits += 1
        response = requests.Response()
        response.status_code, response.url = 200, url
        response._content = json.dumps({"response_code": self.code, "response_message": "ERROR", "payload": None}).encode()
        response.headers["Content-Type"] = "application/json"
        return response


def test_a_payment_answered_with_an_undocumented_failure_code_is_an_unknown_outcome(sandbox, sb):
    session = UndocumentedCodeOnSubmit(9999)
    client = fast_client(sandbox, "enkash", session=session)
    order(client)
    with pytest.raises(ProviderOutcomeUnknown) as caught:
        pay(client)
    assert (caught.value.code, caught.value.http_status) == ("outcome_unknown_enkash_9999", 200)
    assert session.submits == 1


def test_a_payment_answered_with_a_documented_failure_code_stays_a_refusal(sandbox, sb):
    session = UndocumentedCodeOnSubmit(1004)  # AMOUNT_MISMATCH
    client = fast_client(sandbox, "enkash", session=session)
    order(client)
    with pytest.raises(ProviderRejected) as caught:
        pay(client)
    assert not isinstance(caught.value, ProviderOutcomeUnknown)
    assert caught.value.code == "amount_mismatch"
