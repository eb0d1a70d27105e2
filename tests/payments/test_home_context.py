"""The money sections of the home page (payments.selectors.home_context and the
templates/payments/_home.html partial): IBAN balances with their history, volume and
success rate by provider and day in one aggregate query, recent activity, empty states
that say what to do next, and the same query count at any size."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Role
from payments.models import Transaction
from payments.selectors import home_context
from tests.factories import (
    BalanceSnapshotFactory,
    ConnectionFactory,
    IbanAccountFactory,
    MembershipFactory,
    MerchantFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant():
    return MerchantFactory(name="Alpha Bazaar", slug="alpha")


def at(days_ago: int, hour: int = 12) -> dt.datetime:
    return timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0) - dt.timedelta(days=days_ago)


def render(merchant, role=Role.OWNER) -> str:
    membership = MembershipFactory(merchant=merchant, role=role)
    return render_to_string(
        "payments/_home.html", {**home_context(merchant=merchant), "current_membership": membership}
    )


def table_row(page: str, testid: str) -> list[str]:
    row = page.split(f'data-testid="{testid}"')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def chart_data(page: str, element_id: str) -> dict:
    raw = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S).group(1)
    return json.loads(raw)


def test_volume_and_success_rate_by_provider_and_day(merchant):
    enigmapay = ConnectionFactory(merchant=merchant, provider="enigmapay")
    vospay = ConnectionFactory(merchant=merchant, provider="vospay")
    for status, amount in [("succeeded", "100.25"), ("succeeded", "50.00"), ("refunded", "30.00"),
                           ("failed", "999.00"), ("pending", "5.00")]:
        TransactionFactory(merchant=merchant, connection=enigmapay, kind="payment", status=status,
                           amount=Decimal(amount), created_at=at(2))
    TransactionFactory(merchant=merchant, connection=vospay, kind="order", status="succeeded",
                       currency="IDR", amount=Decimal("250000.00"), created_at=at(2))
    # Not counted: payouts (money out), older than 30 days, another merchant's.
    TransactionFactory(merchant=merchant, connection=enigmapay, kind="payout", status="succeeded",
                       amount=Decimal("7777.00"), created_at=at(2))
    TransactionFactory(merchant=merchant, connection=enigmapay, kind="payment", status="succeeded",
                       amount=Decimal("8888.00"), created_at=at(31))
    TransactionFactory(kind="payment", status="succeeded", amount=Decimal("9999.00"), created_at=at(2))

    page = render(merchant)
    day = at(2).date().isoformat()

    # Day, provider, payments, succeeded (incl. later refunded), failed, volume, success rate.
    assert table_row(page, f"volume-{day}-enigmapay-TRY") == [day, "EnigmaPay", "5", "3", "1", "150.25 TRY", "75.0%"]
    assert table_row(page, f"volume-{day}-vospay-IDR") == [day, "Vospay", "1", "1", "0", "250000.00 IDR", "100.0%"]
    assert page.count('data-testid="volume-') == 3  # the table itself and two rows
    section = page.split('id="home-volume"')[1].split("</section>")[0]
    assert "7777" not in section and "8888" not in section and "9999" not in section

    volume = chart_data(page, "volume-chart")
    assert len(volume["labels"]) == 30 and volume["labels"][-3] == at(2).strftime("%d %b")
    series = {s["label"]: s["data"] for s in volume["series"]}
    assert series["EnigmaPay (TRY)"][-3] == 150.25 and series["EnigmaPay (TRY)"][-1] == 0
    rate = {s["label"]: s["data"] for s in chart_data(page, "rate-chart")["series"]}
    assert rate["EnigmaPay (TRY)"][-3] == 75.0 and rate["EnigmaPay (TRY)"][-1] is None
    assert 'canvas data-chart="volume-chart"' in page and 'canvas data-chart="rate-chart"' in page


def test_ibans_show_balance_and_history_chart_and_table(merchant):
    iban = IbanAccountFactory(merchant=merchant, iban="TR330006100519786457841326", balance=Decimal("1520.75"))
    BalanceSnapshotFactory(iban=iban, balance=Decimal("1000.00"), at=at(3))
    BalanceSnapshotFactory(iban=iban, balance=Decimal("1520.75"), at=at(1))
    BalanceSnapshotFactory(iban=iban, balance=Decimal("1.00"), at=at(45))  # outside the window
    IbanAccountFactory(iban="TR000000000000000000000001")  # another merchant's

    page = render(merchant, Role.VIEWER)

    card = page.split('data-testid="iban-TR330006100519786457841326"')[1].split("</article>")[0]
    assert '<p class="balance" data-testid="balance">1520.75 TRY</p>' in card
    history = card.split('data-testid="iban-history"')[1].split("</table>")[0]
    assert re.findall(r'<td class="num">([^<]+)</td>', history) == ["1000.00 TRY", "1520.75 TRY"]
    chart = chart_data(page, f"iban-chart-{iban.pk}")
    assert chart["series"][0]["data"] == [1000.0, 1520.75]
    assert "TR000000000000000000000001" not in page


def test_empty_states_say_what_to_do_next(merchant):
    owner_page = render(merchant, Role.OWNER)
    assert "connect EnigmaPay to see your IBAN balances" in owner_page
    assert ">Connect EnigmaPay</a>" in owner_page
    assert "No payments in the last 30 days" in owner_page and "Send a payment link" in owner_page
    assert "No payouts or payments yet." in owner_page and ">Send a payout</a>" in owner_page

    viewer_page = render(merchant, Role.VIEWER)
    assert "connect EnigmaPay to see your IBAN balances" in viewer_page
    assert ">Connect EnigmaPay</a>" not in viewer_page and ">Send a payout</a>" not in viewer_page


def test_connected_enigmapay_without_ibans_says_so(merchant):
    ConnectionFactory(merchant=merchant, provider="enigmapay")
    page = render(merchant, Role.MANAGER)
    assert "EnigmaPay is connected but no IBAN has been read yet" in page
    assert "Load the IBANs" in page


def test_recent_activity_is_the_last_ten_of_this_merchant(merchant):
    connection = ConnectionFactory(merchant=merchant)
    rows = [TransactionFactory(merchant=merchant, connection=connection, created_at=at(n)) for n in range(12)]
    TransactionFactory(created_at=at(0, hour=13))  # another merchant's, newest of all

    context = home_context(merchant=merchant)

    assert [t.reference for t in context["recent"]] == [t.reference for t in rows[:10]]


@pytest.mark.parametrize("size", [2, 80])
def test_home_costs_the_same_queries_at_any_size(merchant, size, django_assert_num_queries):
    connection = ConnectionFactory(merchant=merchant)
    Transaction.objects.bulk_create(
        Transaction(merchant=merchant, connection=connection, provider="enigmapay", kind="payment",
                    status="succeeded", amount=Decimal("10.00"), currency="TRY", reference=f"PD-H{i:06d}")
        for i in range(size)
    )
    for _ in range(size // 20 + 1):
        iban = IbanAccountFactory(merchant=merchant, connection=connection)
        BalanceSnapshotFactory(iban=iban)
    membership = MembershipFactory(merchant=merchant)
    # IBANs, their snapshots, the one aggregate, recent rows, the EnigmaPay connection.
    with django_assert_num_queries(5):
        page = render_to_string(
            "payments/_home.html", {**home_context(merchant=merchant), "current_membership": membership}
        )
    assert page.count("<article") == size // 20 + 1


def test_an_order_paid_by_a_payment_counts_once(merchant):
    enkash = ConnectionFactory(merchant=merchant, provider="enkash")
    order = TransactionFactory(merchant=merchant, connection=enkash, kind="order", status="succeeded",
                               currency="INR", amount=Decimal("499.00"), created_at=at(1))
    for status in ("failed", "succeeded"):  # a failed attempt, then the payment that paid it
        TransactionFactory(merchant=merchant, connection=enkash, kind="payment", status=status, parent=order,
                           currency="INR", amount=Decimal("499.00"), created_at=at(1))

    day = at(1).date().isoformat()
    assert table_row(render(merchant), f"volume-{day}-enkash-INR") == [
        day, "EnKash", "1", "1", "0", "499.00 INR", "100.0%"]
