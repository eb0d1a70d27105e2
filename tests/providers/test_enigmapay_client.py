"""EnigmaPay client against the running sandbox over real HTTP: every operation, the
state the sandbox keeps (balances, pending → final statuses, history) and the checks the
client makes before sending anything."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from schwifty import IBAN

from providers.base.errors import ProviderInputError, ProviderRejected
from providers.base.money import Money
from providers.enigmapay.client import EnigmaPayClient
from providers.enigmapay.sandbox import (
    CUSTOMER_IBAN_CANCELLED,
    CUSTOMER_IBAN_FAILS,
    CUSTOMER_IBAN_OK,
    CUSTOMER_IBAN_REJECTED,
    DEALER_IBAN_1,
    DEALER_IBAN_2,
    DEALER_IBAN_3,
    TEST_API_KEY,
)
from tests.helpers import wait_for
from tests.providers import enigmapay_support as enigmapay
from tests.providers.enigmapay_support import configure

client = enigmapay.client

TRY = "TRY"
TRT = timedelta(hours=3)


def balances(client) -> dict[int, Decimal]:
    return {iban.id: iban.balance.amount for iban in client.ibans()}


def pay_out(client, amount="500.00", iban=CUSTOMER_IBAN_OK, description="Paydesk payout PO-1"):
    return client.send_money(
        username="user123", amount=Decimal(amount), customer_iban=iban,
        customer_name="John Doe", description=description,
    )


# -- reads --------------------------------------------------------------------------------------
def test_settings_parses_feature_statuses_and_decimal_commissions(client):
    found = client.settings()

    assert found.credit_card.active is True
    assert found.credit_card.raw_status == "Aktif"
    assert found.credit_card_commission == Decimal("3.50")
    assert isinstance(found.credit_card_commission, Decimal)
    assert found.eiban.active and found.manual_iban.active
    assert found.eiban_withdrawal_commission == Decimal("0.00")
    assert found.eiban_withdrawal_fee == Money(Decimal("0.00"), TRY)
    assert found.info == "Connection successful"


def test_check_says_in_a_sentence_that_the_credentials_work(client):
    text = client.check()

    assert text == "EnigmaPay accepted the credentials (credit card payments on, e-IBAN payouts on)."


def test_ibans_lists_the_assigned_ibans_with_money_balances(client):
    ibans = client.ibans()

    assert [i.id for i in ibans] == [1, 2, 3]
    assert [i.iban for i in ibans] == [DEALER_IBAN_1, DEALER_IBAN_2, DEALER_IBAN_3]
    assert ibans[0].balance == Money(Decimal("125000.00"), TRY)
    assert ibans[1].balance == Money(Decimal("48250.75"), TRY)
    assert [(i.active, i.raw_status) for i in ibans] == [(True, "Active"), (True, "Active"), (False, "Inactive")]
    assert ibans[0].bank_name.startswith("Türkiye Garanti")
    assert all(IBAN(i.iban).country_code == "TR" for i in ibans)


def test_iban_transactions_lists_history_newest_first(client):
    history = client.iban_transactions(iban_id=2)

    assert [t.id for t in history] == [1005, 1004]
    withdrawal = history[0]
    assert withdrawal.type == "withdrawal"
    assert withdrawal.amount == Money(Decimal("1749.25"), TRY)
    assert (withdrawal.status, withdrawal.raw_status) == ("succeeded", "Completed")
    assert withdrawal.username == "mdemir"
    assert withdrawal.customer_iban == "TR800001200000000000000502"
    assert withdrawal.created_at == datetime(2025, 11, 26, 11, 20, tzinfo=withdrawal.created_at.tzinfo)
    assert withdrawal.created_at.utcoffset() == TRT


def test_iban_transactions_filters_by_inclusive_date_range(client):
    assert [t.id for t in client.iban_transactions(iban_id=1, start_date=date(2025, 11, 24))] == [1003, 1002]
    assert [t.id for t in client.iban_transactions(iban_id=1, end_date=date(2025, 11, 24))] == [1002, 1001]
    both = client.iban_transactions(iban_id=1, start_date=date(2025, 11, 21), end_date=date(2025, 11, 25))
    assert [t.id for t in both] == [1002]


def test_transaction_status_of_a_completed_transaction(client):
    found = client.transaction_status(transaction_id=1005)

    assert found.transaction_id == 1005
    assert (found.status, found.raw_status) == ("succeeded", "Completed")
    assert found.amount == Money(Decimal("1749.25"), TRY)
    assert found.completed_at is not None and found.completed_at.utcoffset() == TRT


# -- payouts --------------------------------------------------------------------------------------
def test_send_money_answers_pending_and_debits_the_first_iban_that_holds_the_amount(sandbox, client):
    configure(sandbox, balance_refresh_seconds=0)

    payout = pay_out(client, "500.00")

    assert (payout.status, payout.raw_status) == ("pending", "Pending")
    assert payout.amount == Money(Decimal("500.00"), TRY)
    assert payout.transaction_id >= 5001
    assert balances(client) == {1: Decimal("124500.00"), 2: Decimal("48250.75"), 3: Decimal("0.00")}
    history = client.iban_transactions(iban_id=1)
    assert history[0].id == payout.transaction_id
    assert (history[0].type, history[0].status) == ("withdrawal", "pending")
    assert (history[0].username, history[0].description) == ("user123", "Paydesk payout PO-1")


def test_send_money_moves_to_the_next_iban_when_the_first_runs_short(sandbox, client):
    configure(sandbox, balance_refresh_seconds=0)
    pay_out(client, "124000.00")

    second = pay_out(client, "2000.00")

    assert balances(client) == {1: Decimal("1000.00"), 2: Decimal("46250.75"), 3: Decimal("0.00")}
    assert client.iban_transactions(iban_id=2)[0].id == second.transaction_id


def test_payout_completes_after_the_completion_delay(sandbox, client):
    configure(sandbox, completion_delay=0.2)
    payout = pay_out(client)

    done = wait_for(lambda: (s := client.transaction_status(transaction_id=payout.transaction_id)).completed_at and s)

    assert (done.status, done.raw_status) == ("succeeded", "Completed")
    assert done.amount == Money(Decimal("500.00"), TRY)
    assert done.completed_at >= done.created_at


def test_payout_completes_lazily_when_asked_even_if_no_timer_ran(sandbox, client):
    configure(sandbox, completion_delay=0.2)
    payout = pay_out(client)
    live = sandbox.sandbox("enigmapay")
    with live.lock:
        for timer in live._timers:
            timer.cancel()
    time.sleep(0.3)

    assert live.transactions[payout.transaction_id].status == "Pending"
    assert client.transaction_status(transaction_id=payout.transaction_id).status == "succeeded"


@pytest.mark.parametrize(
    ("iban", "raw", "normalised"),
    [
        (CUSTOMER_IBAN_FAILS, "Failed", "failed"),
        (CUSTOMER_IBAN_REJECTED, "Rejected", "failed"),
        (CUSTOMER_IBAN_CANCELLED, "Cancelled", "cancelled"),
    ],
)
def test_payout_that_does_not_complete_gives_the_balance_back(sandbox, client, iban, raw, normalised):
    configure(sandbox, completion_delay=0.2, balance_refresh_seconds=0)
    payout = pay_out(client, "1500.00", iban=iban)
    assert balances(client)[1] == Decimal("123500.00")

    final = wait_for(lambda: (s := client.transaction_status(transaction_id=payout.transaction_id)).completed_at and s)

    assert (final.status, final.raw_status) == (normalised, raw)
    assert balances(client)[1] == Decimal("125000.00")


def test_ibans_shows_balances_refreshed_at_most_once_a_minute(sandbox, client):
    assert balances(client)[1] == Decimal("125000.00")
    pay_out(client, "500.00")

    assert balances(client)[1] == Decimal("125000.00"), "the doc: balance data is updated every minute"
    configure(sandbox, balance_refresh_seconds=0)
    assert balances(client)[1] == Decimal("124500.00")


def test_send_money_accepts_money_and_sends_the_iban_compact(sandbox, client):
    spaced = " ".join(CUSTOMER_IBAN_OK[i:i + 4] for i in range(0, len(CUSTOMER_IBAN_OK), 4)).lower()

    payout = client.send_money(
        username="user123", amount=Money(Decimal("250"), TRY), customer_iban=spaced, customer_name="John Doe",
    )

    assert payout.amount == Money(Decimal("250.00"), TRY)
    assert sandbox.sandbox("enigmapay").transactions[payout.transaction_id].customer_iban == CUSTOMER_IBAN_OK


# -- credit card payment links ------------------------------------------------------------------------
def card_payment(client, amount="500.00"):
    return client.credit_card_payment(
        username="user123", firstname="Ayşe", lastname="Yılmaz", email="ayse@example.com",
        phone="+90 555 111 2233", amount=Decimal(amount), description="Order 42",
    )


def test_credit_card_payment_gives_a_link_under_the_sandbox_host(sandbox, client):
    link = card_payment(client)

    assert link.payment_url.startswith(f"{sandbox.base_url('enigmapay')}/pay/")
    assert link.payment_url.endswith(link.order_id)
    assert re.fullmatch(r"CC-\d{8}-[0-9A-F]{6}", link.order_id)
    assert link.amount == Money(Decimal("500.00"), TRY)
    status = client.transaction_status(transaction_id=link.transaction_id)
    assert (status.status, status.amount) == ("pending", Money(Decimal("500.00"), TRY))


@pytest.mark.parametrize(("action", "expected"), [("pay", "succeeded"), ("decline", "failed")])
def test_the_customer_pays_or_declines_on_the_payment_page(client, action, expected):
    link = card_payment(client, "200.00")

    page = requests.get(link.payment_url, timeout=5)
    submitted = requests.post(link.payment_url, data={"action": action}, timeout=5)
    again = requests.post(link.payment_url, data={"action": "pay"}, timeout=5)

    assert page.status_code == 200 and "200.00 TRY" in page.text
    assert submitted.status_code == 200
    assert again.status_code == 409
    assert client.transaction_status(transaction_id=link.transaction_id).status == expected


# -- checks made before any request -------------------------------------------------------------------
def assert_refused_locally(sandbox, error, code, operation="send_money"):
    assert type(error) is ProviderInputError
    assert isinstance(error, ProviderRejected) and isinstance(error, ValueError)
    assert (error.provider, error.operation, error.code, error.http_status) == ("enigmapay", operation, code, None)
    assert error.message[0].isupper() and error.message.endswith(".")
    assert len(sandbox.sandbox("enigmapay").received) == 0


@pytest.mark.parametrize(
    ("iban", "reason"),
    [
        ("TR000006400000000000001001", "check digits"),
        ("TR88000640000000000000100", "length"),
        ("DE89370400440532013000", "Turkish"),
        ("not an iban", "format"),
        ("", "empty"),
    ],
)
def test_send_money_refuses_an_invalid_iban_without_calling(sandbox, client, iban, reason):
    with pytest.raises(ProviderInputError) as caught:
        pay_out(client, iban=iban)

    assert_refused_locally(sandbox, caught.value, "invalid_iban")
    assert reason in caught.value.message


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5.00"), Decimal("10.001"), Decimal("NaN"), 10.5])
def test_send_money_refuses_a_bad_amount_without_calling(sandbox, client, amount):
    with pytest.raises(ProviderRejected) as caught:
        client.send_money(username="u", amount=amount, customer_iban=CUSTOMER_IBAN_OK, customer_name="J")

    assert_refused_locally(sandbox, caught.value, "invalid_amount")


def test_send_money_refuses_another_currency_without_calling(sandbox, client):
    with pytest.raises(ProviderRejected) as caught:
        client.send_money(username="u", amount=Money(Decimal("10"), "AUD"), customer_iban=CUSTOMER_IBAN_OK,
                          customer_name="J")

    assert_refused_locally(sandbox, caught.value, "currency_not_supported")


def test_credit_card_payment_below_200_tl_is_refused_without_calling(sandbox, client):
    with pytest.raises(ProviderInputError) as caught:
        card_payment(client, "199.99")

    assert_refused_locally(sandbox, caught.value, "amount_below_minimum", operation="credit_card_payment")
    assert "200.00 TL" in caught.value.message


def test_client_needs_both_credentials():
    with pytest.raises(ValueError, match="api_key and a secret_key"):
        EnigmaPayClient(base_url="http://127.0.0.1:9", api_key=TEST_API_KEY, secret_key="")
