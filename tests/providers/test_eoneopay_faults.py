"""EoneoPay under faults: reads are retried, money never is; plus the callbacks EoneoPay
does not send and the secrets no log line or error may hold."""

from __future__ import annotations

import logging
import re
import socket
import time
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pytest
from requests.adapters import HTTPAdapter

from providers.base.client import Timeouts, build_session
from providers.base.errors import (
    ProviderError,
    ProviderInvalidResponse,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
)
from providers.base.money import Money
from providers.eoneopay import testdata as data
from providers.eoneopay.client import EoneoPayClient
from providers.eoneopay.sandbox import TEST_SECRETS
from providers.eoneopay.types import NewCard
from tests.conftest import arm_fault
from tests.helpers import fast_client
from tests.providers.eoneopay_support import new_customer, state

AMOUNT = Money(Decimal("25.00"), "AUD")


def requests_for(sandbox, method: str, path_prefix: str) -> int:
    return sum(r.method == method and r.path.startswith(path_prefix) for r in state(sandbox).received)


def charged(sandbox) -> list[dict]:
    return [p for p in state(sandbox).payments.values() if p["amount"] == AMOUNT.to_minor()]


# -- a read: retried, then succeeds or fails plainly --------------------------------------
@pytest.mark.parametrize(("fault", "options"), [("timeout", {"delay": 1.0}), ("500", {}), ("502", {}), ("503", {})])
def test_a_read_is_retried_through_one_fault(sandbox, fault, options):
    arm_fault(sandbox, "eoneopay", "customer_get", fault, **options)

    customer = fast_client(sandbox, "eoneopay").customer_get(customer_id=data.DEMO_CUSTOMER_ID)

    assert customer.id == data.DEMO_CUSTOMER_ID
    assert requests_for(sandbox, "GET", "/customers/") == 2


@pytest.mark.parametrize(("fault", "code"), [("503", "service_unavailable"), ("502", "http_502"), ("500", "server_error")])
def test_a_read_failing_every_attempt_is_unavailable(sandbox, fault, code):
    arm_fault(sandbox, "eoneopay", "customer_list", fault, count=3)

    with pytest.raises(ProviderUnavailable) as caught:
        fast_client(sandbox, "eoneopay").customer_list()

    assert caught.value.code == code and caught.value.message.endswith(".")
    assert requests_for(sandbox, "GET", "/customers") == 3


def test_a_malformed_read_is_an_invalid_response_not_retried(sandbox):
    arm_fault(sandbox, "eoneopay", "customer_get", "malformed")

    with pytest.raises(ProviderInvalidResponse) as caught:
        fast_client(sandbox, "eoneopay").customer_get(customer_id=data.DEMO_CUSTOMER_ID)

    assert caught.value.code == "malformed_json"
    assert requests_for(sandbox, "GET", "/customers/") == 1


def test_a_slow_answer_within_the_timeout_is_fine(sandbox):
    patient = fast_client(sandbox, "eoneopay", admin_key=None, timeouts=Timeouts(connect=1, read=2.0))
    arm_fault(sandbox, "eoneopay", "customer_list", "slow", delay=0.25)

    started = time.monotonic()
    customers = patient.customer_list()
    elapsed = time.monotonic() - started

    assert elapsed >= 0.25, "the slow fault did not delay the answer"
    assert len(customers) == 1
    assert requests_for(sandbox, "GET", "/customers") == 1


# -- a payment: sent once; unknown unless the upstream surely did not act -----------------
@pytest.mark.parametrize(
    ("fault", "options", "code", "acted"),
    [
        ("timeout", {"delay": 1.0}, "outcome_unknown_timeout", True),
        ("timeout", {"delay": 1.0, "act": False}, "outcome_unknown_timeout", False),
        ("500", {"act": True}, "outcome_unknown_http_500", True),
        ("502", {}, "outcome_unknown_http_502", False),
        ("malformed", {}, "malformed_json", True),
    ],
)
def test_a_payment_without_a_readable_answer_is_an_unknown_outcome(sandbox, fault, options, code, acted):
    arm_fault(sandbox, "eoneopay", "payment_create", fault, **options)

    with pytest.raises(ProviderOutcomeUnknown) as caught:
        fast_client(sandbox, "eoneopay").payment_create(token=data.DEMO_TOKEN_VISA, amount=AMOUNT, reference="fault")

    assert caught.value.code == code and "may or may not" in caught.value.message
    assert requests_for(sandbox, "POST", "/payments") == 1
    assert len(charged(sandbox)) == (1 if acted else 0)


def test_a_payment_answered_503_was_not_made(sandbox):
    arm_fault(sandbox, "eoneopay", "payment_create", "503")

    with pytest.raises(ProviderUnavailable) as caught:
        fast_client(sandbox, "eoneopay").payment_create(token=data.DEMO_TOKEN_VISA, amount=AMOUNT, reference="fault")

    assert (caught.value.code, caught.value.http_status) == ("service_unavailable", 503)
    assert requests_for(sandbox, "POST", "/payments") == 1
    assert charged(sandbox) == []


class RefusedConnections(HTTPAdapter):
    """Counts every attempt the client makes; the first ``refused`` are sent to a closed
    local port (a real "connection refused", so the upstream never sees them), the rest
    go where the client meant them to."""

    def __init__(self, refused: int) -> None:
        super().__init__(max_retries=0)
        self.refused = refused
        self.attempts = 0
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.closed_port = s.getsockname()[1]

    def send(self, request, **kwargs):
        self.attempts += 1
        if self.attempts <= self.refused:
            request = request.copy()
            request.url = urlunsplit(urlsplit(request.url)._replace(netloc=f"127.0.0.1:{self.closed_port}"))
        return super().send(request, **kwargs)


def client_with(sandbox, adapter: RefusedConnections) -> EoneoPayClient:
    session = build_session()
    session.mount("http://", adapter)
    return fast_client(sandbox, "eoneopay", admin_key=None, session=session, timeouts=Timeouts(connect=1, read=2.0))


def test_a_payment_that_could_not_connect_is_retried_and_unavailable(sandbox):
    adapter = RefusedConnections(refused=99)

    with pytest.raises(ProviderUnavailable) as caught:
        client_with(sandbox, adapter).payment_create(token=data.DEMO_TOKEN_VISA, amount=AMOUNT, reference="no route")

    assert caught.value.code == "connection_failed"
    assert adapter.attempts == 3  # every attempt the retry policy allows
    assert requests_for(sandbox, "POST", "/payments") == 0  # none of them reached EoneoPay
    assert charged(sandbox) == []


def test_a_payment_whose_connection_failed_is_retried_and_reaches_eoneopay_once(sandbox):
    adapter = RefusedConnections(refused=1)

    payment = client_with(sandbox, adapter).payment_create(token=data.DEMO_TOKEN_VISA, amount=AMOUNT,
                                                            reference="retried")

    assert payment.amount == AMOUNT
    assert adapter.attempts == 2  # one refused connection, one retry
    assert requests_for(sandbox, "POST", "/payments") == 1  # the retry is the only one that arrived
    assert len(charged(sandbox)) == 1


# -- a refund: sent once; a lost answer is resolved by EoneoPay's refund-once rule ----------
def test_a_refund_that_timed_out_is_unknown_and_a_repeat_shows_it_went_through(sandbox):
    client = fast_client(sandbox, "eoneopay")
    arm_fault(sandbox, "eoneopay", "payment_refund", "timeout", delay=1.0)

    with pytest.raises(ProviderOutcomeUnknown) as caught:
        client.payment_refund(txn_id=data.DEMO_PAYMENT_TXN_ID)

    assert caught.value.code == "outcome_unknown_timeout"
    assert requests_for(sandbox, "DELETE", "/payments/") == 1
    with pytest.raises(ProviderRejected) as repeat:
        client.payment_refund(txn_id=data.DEMO_PAYMENT_TXN_ID)
    assert repeat.value.code == "already_refunded"


@pytest.mark.parametrize(("fault", "cls", "refunded"), [
    ("503", ProviderUnavailable, False),
    ("502", ProviderOutcomeUnknown, False),
    ("malformed", ProviderOutcomeUnknown, True),
])
def test_a_refund_fault_is_never_retried(sandbox, fault, cls, refunded):
    arm_fault(sandbox, "eoneopay", "payment_refund", fault)

    with pytest.raises(cls):
        fast_client(sandbox, "eoneopay").payment_refund(txn_id=data.DEMO_PAYMENT_TXN_ID)

    assert requests_for(sandbox, "DELETE", "/payments/") == 1
    assert (state(sandbox).payments[data.DEMO_PAYMENT_TXN_ID]["status"] == "refunded") is refunded


# -- other writes ------------------------------------------------------------------------
def test_a_customer_create_that_timed_out_is_not_resent(sandbox):
    arm_fault(sandbox, "eoneopay", "customer_create", "timeout", delay=1.0)

    with pytest.raises(ProviderUnavailable) as caught:
        new_customer(fast_client(sandbox, "eoneopay"), NewCard(data.CARD_APPROVED_VISA, "12/30", "123"))

    assert caught.value.code == "timeout"
    assert requests_for(sandbox, "POST", "/customers") == 1


def test_an_update_is_retried_only_when_it_adds_no_card(sandbox):
    client = fast_client(sandbox, "eoneopay")
    demo = client.customer_get(customer_id=data.DEMO_CUSTOMER_ID)
    same = {"customer_id": demo.id, "name": demo.name, "email": demo.email, "address": demo.address}

    arm_fault(sandbox, "eoneopay", "customer_update", "503")
    assert client.customer_update(**same, cards=demo.cards).cards == demo.cards
    assert requests_for(sandbox, "PUT", "/customers/") == 2

    arm_fault(sandbox, "eoneopay", "customer_update", "503")
    with pytest.raises(ProviderUnavailable):
        client.customer_update(**same, cards=[*demo.cards, NewCard(data.CARD_APPROVED_MASTERCARD, "01/30", "321")])
    assert requests_for(sandbox, "PUT", "/customers/") == 3


def test_an_api_key_create_answered_500_is_not_resent(sandbox):
    arm_fault(sandbox, "eoneopay", "api_key_create", "500")

    with pytest.raises(ProviderUnavailable) as caught:
        fast_client(sandbox, "eoneopay").api_key_create()

    assert caught.value.code == "server_error"
    assert requests_for(sandbox, "POST", "/apikeys") == 1


# -- callbacks ---------------------------------------------------------------------------
def test_eoneopay_sends_no_callbacks(sandbox):
    """The doc has no webhooks: payments and refunds answer synchronously, so the sandbox
    sends nothing after them (README, "Callbacks")."""
    client = fast_client(sandbox, "eoneopay")
    payment = client.payment_create(token=data.DEMO_TOKEN_VISA, amount=AMOUNT, reference="no callback")
    client.payment_refund(txn_id=payment.txn_id)

    assert state(sandbox).callbacks == []
    assert state(sandbox).payments[payment.txn_id]["status"] == "refunded"


# -- redaction ---------------------------------------------------------------------------
def test_no_secret_reaches_a_log_line_an_error_or_a_result_repr(sandbox, caplog):
    caplog.set_level(logging.DEBUG, logger="providers")
    client = fast_client(sandbox, "eoneopay")
    shown: list[str] = []

    customer = new_customer(
        client, NewCard(data.CARD_APPROVED_VISA, "12/30", "602"), NewCard(data.CARD_APPROVED_AMEX, "01/30", "7302")
    )
    updated = client.customer_update(
        customer_id=customer.id, name=customer.name, email=customer.email,
        cards=[customer.cards[0], NewCard(data.CARD_APPROVED_AMEX, "02/30", "8413")],
    )
    payment = client.payment_create(token=customer.cards[0].token, amount=AMOUNT, reference="redaction")
    refund = client.payment_refund(txn_id=payment.txn_id)
    pair = client.api_key_create()
    key = client.api_key_get(api_key=pair.secret_key)
    client.api_key_revoke(api_key=pair.secret_key)
    shown += [client.check(), *map(repr, (customer, updated, payment, refund, pair, key))]

    arm_fault(sandbox, "eoneopay", "payment_create", "timeout", delay=1.0)
    failing = [
        lambda: new_customer(client, NewCard(data.CARD_BAD_LUHN, "12/30", "9051")),
        lambda: fast_client(sandbox, "eoneopay", secret_key=data.REVOKED_KEY).customer_list(),
        lambda: fast_client(sandbox, "eoneopay", admin_key=data.LIVE_KEY).api_key_get(api_key=data.ADMIN_KEY),
        lambda: client.payment_create(token=data.DEMO_TOKEN_VISA, amount=AMOUNT, reference="timeout"),
        lambda: client.payment_create(token=data.DEMO_TOKEN_DECLINING, amount=AMOUNT, reference="decline"),
        lambda: client.payment_create(token=pair.secret_key, amount=AMOUNT, reference="not a token"),
    ]
    for call in failing:
        with pytest.raises(ProviderError) as caught:
            call()
        shown += [str(caught.value), repr(caught.value.as_dict()), str(caught.value.upstream_message)]

    text = caplog.text + "\n".join(shown)
    assert "eoneopay payment_create POST" in caplog.text and "eoneopay api_key_get GET" in caplog.text
    issued = [pair.secret_key, *(c.token for c in customer.cards + updated.cards)]
    for secret in (*TEST_SECRETS, *issued):
        assert secret not in text, f"a secret ending …{secret[-3:]} was shown"
    for cvv in ("7302", "8413", "9051"):
        assert cvv not in text
    assert re.search(r'"cvv"\s*:\s*"\d', caplog.text) is None
