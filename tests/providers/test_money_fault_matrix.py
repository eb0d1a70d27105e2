"""The fault matrix of every money-moving operation of the five providers.

Each operation that calls ``_request(..., moves_money=True)`` is run against its sandbox
under each fault, including "dropped" (the sandbox reads the whole request, then closes
the connection without answering). What must hold, for every one:
- it reaches the sandbox once: a call that may have moved money is never re-sent;
- an answer that does not prove the upstream did nothing is ``ProviderOutcomeUnknown``,
  whether the sandbox acted or not (the client cannot tell which);
- only a 503 is plain "unavailable", and then nothing moved.

There is no exception: even EnKash's refund, whose ``requestId`` would make a repeat
harmless, is sent once by the client; re-sending it is the caller's decision. EnayaPay
has no money-moving operation (card balance inquiry only reads).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from providers.base.errors import ProviderOutcomeUnknown, ProviderUnavailable
from providers.base.money import Money
from providers.enigmapay.sandbox import CUSTOMER_IBAN_OK
from providers.eoneopay import testdata as eoneopay_data
from providers.registry import PROVIDERS
from providers.vospay.types import OrderItem
from tests.conftest import arm_fault
from tests.helpers import FAST_RETRY, fast_client, requests_to
from tests.providers.enkash_support import CARD_OK, order
from tests.providers.vospay_support import NOTIFY, idr, sign_in


@dataclass
class Case:
    """One money-moving operation, set up on a fresh sandbox and ready to send."""

    send: Callable[[], Any]
    sent: Callable[[], int]  # how many of its requests reached the sandbox
    moved: Callable[[], int]  # how many times the money moved, as the sandbox or provider says


def _send_money(sandbox) -> Case:
    client = fast_client(sandbox, "enigmapay")
    description = "Paydesk payout PO-MATRIX"
    return Case(
        send=lambda: client.send_money(username="user123", amount=Decimal("500.00"), customer_iban=CUSTOMER_IBAN_OK,
                                       customer_name="John Doe", description=description),
        sent=lambda: requests_to(sandbox, "enigmapay", "/send-money"),
        moved=lambda: sum(t.description == description for t in client.iban_transactions(iban_id=1)),
    )


def _submit_payment_detail(sandbox) -> Case:
    client = fast_client(sandbox, "enkash")
    order(client)
    return Case(
        send=lambda: client.submit_payment_detail(order_id="ORD1", amount="1000.00", payment_mode="CREDIT_CARD",
                                                  card=CARD_OK),
        sent=lambda: requests_to(sandbox, "enkash", "/api/v0/payment/submit"),
        moved=lambda: len(client.order_status(order_id="ORD1").payments),
    )


def _enkash_refund(sandbox) -> Case:
    client = fast_client(sandbox, "enkash")
    order(client)
    payment = client.submit_payment_detail(order_id="ORD1", amount="1000.00", payment_mode="CREDIT_CARD", card=CARD_OK)
    path = f"/api/v0/payment/{payment.transaction_id}/refund"
    state = sandbox.sandbox("enkash")
    return Case(
        send=lambda: client.refund(transaction_id=payment.transaction_id, amount="100.00", request_id="rf-matrix"),
        sent=lambda: requests_to(sandbox, "enkash", path),
        moved=lambda: len(state.refunds),
    )


def _payment_create(sandbox) -> Case:
    client = fast_client(sandbox, "eoneopay")
    amount = Money(Decimal("25.00"), "AUD")
    state = sandbox.sandbox("eoneopay")
    return Case(
        send=lambda: client.payment_create(token=eoneopay_data.DEMO_TOKEN_VISA, amount=amount, reference="matrix"),
        sent=lambda: requests_to(sandbox, "eoneopay", "/payments"),
        moved=lambda: sum(p["amount"] == amount.to_minor() for p in state.payments.values()),
    )


def _payment_refund(sandbox) -> Case:
    client = fast_client(sandbox, "eoneopay")
    txn_id = eoneopay_data.DEMO_PAYMENT_TXN_ID
    state = sandbox.sandbox("eoneopay")
    return Case(
        send=lambda: client.payment_refund(txn_id=txn_id),
        sent=lambda: requests_to(sandbox, "eoneopay", f"/payments/{txn_id}"),
        moved=lambda: int(state.payments[txn_id]["status"] == "refunded"),
    )


def _finalize_transaction(sandbox) -> Case:
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    authorized = client.authorize_transaction(
        access_token=token, vospay_number="2340010000000001", order_id="B0001",
        items=[OrderItem("Product A", 2, idr(10000))], shipping_cost=idr(5000),
    )
    confirm = sign_in(client, action="transaction", gross=authorized.gross_amount)
    return Case(
        send=lambda: client.finalize_transaction(access_token=confirm, transaction_id=authorized.transaction_id,
                                                 installment_id="2", notify_url=NOTIFY),
        sent=lambda: requests_to(sandbox, "vospay", "/finalize-transaction"),
        moved=lambda: int(client.verify_transaction(transaction_id=authorized.transaction_id, order_id="B0001",
                                                    gross_amount=authorized.gross_amount).status == "succeeded"),
    )


MONEY_OPERATIONS: dict[tuple[str, str], Callable[[Any], Case]] = {
    ("enigmapay", "send_money"): _send_money,
    ("enkash", "submit_payment_detail"): _submit_payment_detail,
    ("enkash", "refund"): _enkash_refund,
    ("eoneopay", "payment_create"): _payment_create,
    ("eoneopay", "payment_refund"): _payment_refund,
    ("vospay", "finalize_transaction"): _finalize_transaction,
}

# (fault, options, whether the sandbox acts, the error code). "dropped" acts by default.
UNKNOWN_FAULTS = [
    ("dropped", {}, True, "outcome_unknown_connection_failed"),
    ("dropped", {"act": False}, False, "outcome_unknown_connection_failed"),
    ("timeout", {"delay": 1.0}, True, "outcome_unknown_timeout"),
    ("500", {"act": True}, True, "outcome_unknown_http_500"),
    ("502", {}, False, "outcome_unknown_http_502"),
    ("malformed", {}, True, "malformed_json"),
]


def money_moving_methods() -> set[tuple[str, str]]:
    """Every (provider, client method) whose body passes ``moves_money=True``: the
    client method is named after the sandbox operation, so this is what the matrix
    must cover."""
    found = set()
    for provider in PROVIDERS:
        source = Path(__file__).resolve().parents[2] / "providers" / provider / "client.py"
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and any(
                isinstance(call, ast.Call)
                and any(k.arg == "moves_money" and isinstance(k.value, ast.Constant) and k.value.value is True
                        for k in call.keywords)
                for call in ast.walk(node)
            ):
                found.add((provider, node.name))
    return found


def test_the_matrix_covers_every_money_moving_operation_of_the_five_providers():
    assert set(PROVIDERS) == {"enayapay", "enigmapay", "vospay", "eoneopay", "enkash"}
    assert money_moving_methods() == set(MONEY_OPERATIONS)


@pytest.mark.parametrize("key", MONEY_OPERATIONS, ids="-".join)
def test_every_money_operation_is_a_sandbox_operation(sandbox, key):
    provider, operation = key
    assert operation in sandbox.sandbox(provider).operations()


@pytest.mark.parametrize(("fault", "options", "acts", "code"), UNKNOWN_FAULTS,
                         ids=[f"{f}{'-no-act' if o.get('act') is False else ''}" for f, o, _, _ in UNKNOWN_FAULTS])
@pytest.mark.parametrize("key", MONEY_OPERATIONS, ids="-".join)
def test_a_money_operation_without_a_readable_answer_is_outcome_unknown_and_sent_once(
    sandbox, key, fault, options, acts, code
):
    provider, operation = key
    case = MONEY_OPERATIONS[key](sandbox)
    # Armed for every attempt a retrying client would make, so a re-send shows up as
    # more than one request instead of passing on a clean second answer.
    arm_fault(sandbox, provider, operation, fault, count=FAST_RETRY.attempts, **options)

    with pytest.raises(ProviderOutcomeUnknown) as caught:
        case.send()

    assert caught.value.code == code
    assert (caught.value.provider, caught.value.operation) == (provider, operation)
    assert "may or may not have gone through" in caught.value.message
    assert case.sent() == 1
    assert case.moved() == (1 if acts else 0)


@pytest.mark.parametrize("key", MONEY_OPERATIONS, ids="-".join)
def test_a_money_operation_answered_503_is_unavailable_and_nothing_moved(sandbox, key):
    provider, operation = key
    case = MONEY_OPERATIONS[key](sandbox)
    arm_fault(sandbox, provider, operation, "503", count=FAST_RETRY.attempts)

    with pytest.raises(ProviderUnavailable) as caught:
        case.send()

    assert caught.value.http_status == 503
    assert case.sent() == 1
    assert case.moved() == 0
