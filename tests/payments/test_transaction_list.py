"""The transaction list and detail pages: what each role sees, the filters and search,
clear errors for bad input, keyset pages that keep their filters, a constant number of
queries at any size, and another merchant's transaction as a 404."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from payments.models import Transaction
from payments.selectors import transaction_filter
from tests.factories import (
    ConnectionFactory,
    CustomerFactory,
    MembershipFactory,
    MerchantFactory,
    PaymentLinkDetailFactory,
    PayoutDetailFactory,
    TransactionEventFactory,
    TransactionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("payments:transaction-list")


@pytest.fixture
def merchant():
    return MerchantFactory(name="Alpha Bazaar", slug="alpha")


@pytest.fixture
def enigmapay(merchant):
    return ConnectionFactory(merchant=merchant, provider="enigmapay")


def member(client, merchant, role=Role.OWNER):
    membership = MembershipFactory(merchant=merchant, role=role)
    client.force_login(membership.user)
    return membership.user


def shown_references(response) -> list[str]:
    return re.findall(r'data-testid="tx-(PD-[0-9A-Z]+)"', response.content.decode())


def days_ago(n: int, hour: int = 12) -> dt.datetime:
    return timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0) - dt.timedelta(days=n)


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.VIEWER])
def test_every_role_sees_its_merchants_transactions_and_no_one_elses(client, merchant, enigmapay, role):
    mine = PayoutDetailFactory(
        transaction=TransactionFactory(merchant=merchant, connection=enigmapay, amount=Decimal("1250.50")),
        customer_name="Ayşe Yılmaz",
    ).transaction
    theirs = TransactionFactory()  # another merchant's
    member(client, merchant, role)

    response = client.get(LIST)
    page = response.content.decode()

    assert response.status_code == 200
    assert shown_references(response) == [mine.reference]
    assert theirs.reference not in page
    row = page.split(f'data-testid="tx-{mine.reference}"')[1].split("</tr>")[0]
    assert "1250.50 TRY" in row
    assert "EnigmaPay" in row and "Payout" in row and "Pending" in row
    assert "Ayşe Yılmaz" in row and "TR330006100519786457841326" in row
    assert f'href="{reverse("payments:transaction-detail", args=[mine.pk])}"' in row
    assert '>Transactions</a>' in page  # the nav link


def test_list_needs_a_member(client, merchant):
    assert client.get(LIST).status_code == 302
    client.force_login(UserFactory())
    assert client.get(LIST).status_code == 403


def test_empty_list_says_what_comes_next(client, merchant):
    member(client, merchant, Role.VIEWER)
    page = client.get(LIST).content.decode()
    assert "No transactions yet" in page
    assert 'data-testid="older"' not in page and 'data-testid="newer"' not in page


def test_filters_by_provider_kind_status_dates_and_amounts(client, merchant, enigmapay):
    vospay = ConnectionFactory(merchant=merchant, provider="vospay")
    target = TransactionFactory(
        merchant=merchant, connection=vospay, kind="payment", status="succeeded",
        amount=Decimal("75.00"), created_at=days_ago(3),
    )
    TransactionFactory(merchant=merchant, connection=enigmapay, kind="payment", status="succeeded",
                       amount=Decimal("75.00"), created_at=days_ago(3))  # other provider
    TransactionFactory(merchant=merchant, connection=vospay, kind="payout", status="succeeded",
                       amount=Decimal("75.00"), created_at=days_ago(3))  # other kind
    TransactionFactory(merchant=merchant, connection=vospay, kind="payment", status="failed",
                       amount=Decimal("75.00"), created_at=days_ago(3))  # other status
    TransactionFactory(merchant=merchant, connection=vospay, kind="payment", status="succeeded",
                       amount=Decimal("75.00"), created_at=days_ago(10))  # too old
    TransactionFactory(merchant=merchant, connection=vospay, kind="payment", status="succeeded",
                       amount=Decimal("500.00"), created_at=days_ago(3))  # too much
    member(client, merchant)
    day = days_ago(3).date().isoformat()

    response = client.get(LIST, {
        "provider": "vospay", "kind": "payment", "status": "succeeded",
        "created_from": day, "created_to": day, "amount_min": "75", "amount_max": "75.00",
    })

    assert shown_references(response) == [target.reference]
    page = response.content.decode()
    # The export link carries the same filters.
    export = re.search(r'href="([^"]+)" data-testid="export"', page).group(1)
    assert export.startswith(reverse("payments:transaction-export") + "?")
    assert "provider=vospay" in export and "amount_max=75.00" in export


def test_date_to_includes_the_whole_last_day(client, merchant, enigmapay):
    late = TransactionFactory(merchant=merchant, connection=enigmapay, created_at=days_ago(2, hour=23))
    TransactionFactory(merchant=merchant, connection=enigmapay, created_at=days_ago(1, hour=0))
    member(client, merchant)
    response = client.get(LIST, {"created_to": days_ago(2).date().isoformat()})
    assert shown_references(response) == [late.reference]


@pytest.mark.parametrize(
    "query",
    ["EXT-77", "  tr33 0006 1005 1978 6457 8413 99 ", "BUYER@Example.TEST", "+90 533 000 0042",
     "cust@example.test", "+905329990001"],
)
def test_search_finds_by_external_id_iban_email_and_phone(client, merchant, enigmapay, query):
    by_external = TransactionFactory(merchant=merchant, connection=enigmapay, external_id="EXT-77")
    by_iban = PayoutDetailFactory(
        transaction=TransactionFactory(merchant=merchant, connection=enigmapay),
        customer_iban="TR330006100519786457841399",
    ).transaction
    by_link = PaymentLinkDetailFactory(
        transaction=TransactionFactory(merchant=merchant, connection=enigmapay, kind="payment_link"),
        email="buyer@example.test", phone="+905330000042",
    ).transaction
    customer = CustomerFactory(merchant=merchant, phone="+905329990001", email="cust@example.test")
    by_customer = TransactionFactory(merchant=merchant, connection=enigmapay, kind="payment", customer=customer)
    TransactionFactory(merchant=merchant, connection=enigmapay)  # matches nothing
    expected = {
        "EXT-77": by_external, "  tr33 0006 1005 1978 6457 8413 99 ": by_iban,
        "BUYER@Example.TEST": by_link, "+90 533 000 0042": by_link,
        "cust@example.test": by_customer, "+905329990001": by_customer,
    }[query]
    member(client, merchant)

    assert shown_references(client.get(LIST, {"q": query})) == [expected.reference]


def test_search_by_reference_ignores_case(client, merchant, enigmapay):
    target = TransactionFactory(merchant=merchant, connection=enigmapay)
    TransactionFactory(merchant=merchant, connection=enigmapay)
    member(client, merchant)
    assert shown_references(client.get(LIST, {"q": target.reference.lower()})) == [target.reference]


def test_search_never_reaches_another_merchant(client, merchant, enigmapay):
    TransactionFactory(external_id="EXT-SHARED")  # another merchant's
    member(client, merchant)
    response = client.get(LIST, {"q": "EXT-SHARED"})
    assert shown_references(response) == []
    assert "No transaction matches these filters" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"created_from": "2024-13-45"}, "created_from", "Enter a valid date."),
        ({"amount_min": "ten"}, "amount_min", "Enter a number."),
        ({"status": "paid"}, "status", "Select a valid choice."),
        ({"amount_min": "50", "amount_max": "10"}, "amount_max", "The highest amount is below the lowest."),
        ({"created_from": "2024-05-02", "created_to": "2024-05-01"}, "created_to", "The end date is before"),
    ],
)
def test_bad_filter_input_is_explained_and_shows_nothing(client, merchant, enigmapay, params, field, message):
    TransactionFactory(merchant=merchant, connection=enigmapay)
    member(client, merchant)

    response = client.get(LIST, params)
    page = response.content.decode()

    assert response.status_code == 200
    assert shown_references(response) == []  # never "everything" because a filter was dropped
    error = re.search(rf'data-testid="error-{field}">([^<]+)<', page).group(1)
    assert message in error
    assert "fix the filter above" in page
    assert 'data-testid="export"' not in page


def make_rows(merchant, connection, n, start=None):
    """n transactions one minute apart, newest first in the list; every pair shares its
    created_at so that the id must break the tie."""
    start = start or timezone.now() - dt.timedelta(days=1)
    rows = [
        Transaction(merchant=merchant, connection=connection, provider=connection.provider, kind="payout",
                    amount=Decimal("10.00") + i, currency="TRY", reference=f"PD-T{i:07d}")
        for i in range(n)
    ]
    Transaction.objects.bulk_create(rows)
    for i, row in enumerate(Transaction.objects.filter(merchant=merchant).order_by("id")):
        Transaction.objects.filter(pk=row.pk).update(created_at=start + dt.timedelta(minutes=i // 2))
    return list(Transaction.objects.filter(merchant=merchant).order_by("-created_at", "-id").values_list(
        "reference", flat=True))


def follow(client, page, testid):
    href = re.search(rf'data-testid="{testid}" href="\?([^"]+)"', page).group(1).replace("&amp;", "&")
    return client.get(f"{LIST}?{href}")


def test_keyset_pages_walk_every_row_once_and_back(client, merchant, enigmapay):
    newest_first = make_rows(merchant, enigmapay, 120)
    member(client, merchant, Role.VIEWER)

    first = client.get(LIST)
    second = follow(client, first.content.decode(), "older")
    third = follow(client, second.content.decode(), "older")

    assert shown_references(first) == newest_first[:50]
    assert shown_references(second) == newest_first[50:100]
    assert shown_references(third) == newest_first[100:]
    assert 'data-testid="older"' not in third.content.decode()
    assert "more below" in first.content.decode()
    assert 'data-testid="newer"' not in first.content.decode()

    back = follow(client, third.content.decode(), "newer")
    assert shown_references(back) == newest_first[50:100]
    top = follow(client, back.content.decode(), "newer")
    assert shown_references(top) == newest_first[:50]
    assert 'data-testid="newer"' not in top.content.decode()


def test_pages_keep_the_filters(client, merchant, enigmapay):
    make_rows(merchant, enigmapay, 120)
    member(client, merchant)
    # amounts are 10 + i: 60 rows of 70.00 and above
    first = client.get(LIST, {"amount_min": "70"})
    page = first.content.decode()
    assert "amount_min=70" in re.search(r'data-testid="older" href="([^"]+)"', page).group(1)
    second = follow(client, page, "older")
    assert len(shown_references(first)) == 50
    assert len(shown_references(second)) == 10
    assert all(Transaction.objects.get(reference=r).amount >= 70 for r in shown_references(second))


def test_a_forged_cursor_is_explained_not_a_500(client, merchant, enigmapay):
    TransactionFactory(merchant=merchant, connection=enigmapay)
    member(client, merchant)
    for token in ("not-a-cursor", "bm9wZXxub3Bl", "MjAyNC0wMS0wMXw1"):  # garbage, "nope|nope", naive date
        response = client.get(LIST, {"after": token})
        assert response.status_code == 200
        assert "That page link is not valid any more" in response.content.decode()
        assert shown_references(response) == []


@pytest.mark.parametrize("size", [3, 120])
def test_the_list_costs_the_same_queries_at_any_size(client, merchant, enigmapay, size, django_assert_num_queries):
    make_rows(merchant, enigmapay, size)
    for row in Transaction.objects.filter(merchant=merchant)[:3]:
        PayoutDetailFactory(transaction=row)
    member(client, merchant)
    # session, user, memberships (middleware), the request's savepoint and its release
    # (ATOMIC_REQUESTS inside the test's transaction), and the one page query.
    with django_assert_num_queries(6):
        response = client.get(LIST, {"q": "", "kind": "payout"})
    assert len(shown_references(response)) == min(size, 50)


def test_status_and_provider_together_read_their_own_index_not_every_row_of_one(merchant):
    # At a million rows, "failed on Vospay" walked every failed row of the merchant's
    # to find none (bench/README.md, pages). The planner must take the pair's index.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    # No Vospay row at all: the filter matches nothing, as in the benchmark.
    links = [ConnectionFactory(merchant=merchant, provider=name) for name in ("enigmapay", "enkash", "eoneopay")]
    rows = [
        Transaction(merchant=merchant, connection=links[i % 3], provider=links[i % 3].provider, kind="payout",
                    status=("failed", "succeeded")[i % 2], amount=Decimal("10.00"), currency="TRY",
                    reference=f"PD-P{i:07d}")
        for i in range(5000)
    ]
    Transaction.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE payments_transaction")
    queryset = transaction_filter(merchant=merchant, data={"status": "failed", "provider": "vospay"}).qs
    plan = queryset.order_by("-created_at", "-id")[:51].explain()
    assert "payments_tx_provider_status" in plan, plan


# -- Detail ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.VIEWER])
def test_detail_shows_the_facts_and_the_timeline(client, merchant, enigmapay, role):
    creator = UserFactory(username="mona")
    payout = PayoutDetailFactory(
        transaction=TransactionFactory(
            merchant=merchant, connection=enigmapay, amount=Decimal("1250.50"), status="succeeded",
            raw_status="COMPLETED", external_id="EP-9001", created_by=creator,
        ),
        customer_name="Ayşe Yılmaz",
    ).transaction
    TransactionEventFactory(transaction=payout, source="user", actor="mona", from_status="", to_status="pending",
                            note="Sent from the dashboard", at=days_ago(1, hour=9))
    TransactionEventFactory(transaction=payout, source="sync", from_status="pending", to_status="succeeded",
                            raw_status="COMPLETED", at=days_ago(1, hour=10))
    member(client, merchant, role)

    response = client.get(reverse("payments:transaction-detail", args=[payout.pk]))
    page = response.content.decode()

    assert response.status_code == 200
    facts = page.split('data-testid="facts"')[1].split("</dl>")[0]
    assert payout.reference in facts
    assert "1250.50 TRY" in facts and "EnigmaPay" in facts and "Payout" in facts
    assert '<code data-testid="raw-status">COMPLETED</code>' in facts
    assert '<code data-testid="external-id">EP-9001</code>' in facts
    assert "by mona" in facts
    assert "Ayşe Yılmaz" in facts and "TR330006100519786457841326" in facts and "Copy IBAN" in facts
    timeline = page.split('data-testid="timeline"')[1].split("</ol>")[0]
    entries = timeline.split("<li>")[1:]
    assert len(entries) == 2
    assert "Created as" in entries[0] and "Dashboard user (mona)" in entries[0] and "Sent from the dashboard" in entries[0]
    assert "Pending</span> → " in entries[1] and "Succeeded" in entries[1] and "Status sync" in entries[1]


def test_detail_of_a_payment_link_shows_its_url(client, merchant, enigmapay):
    link = PaymentLinkDetailFactory(
        transaction=TransactionFactory(merchant=merchant, connection=enigmapay, kind="payment_link"),
        payment_url="https://sandbox.example.test/pay/abc",
    ).transaction
    member(client, merchant, Role.VIEWER)
    page = client.get(reverse("payments:transaction-detail", args=[link.pk])).content.decode()
    assert 'data-testid="link-url"><code id="link-url">https://sandbox.example.test/pay/abc</code>' in page
    assert "Copy link" in page


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_another_merchants_transaction_is_404(client, merchant, role):
    theirs = TransactionFactory()
    member(client, merchant, role)
    response = client.get(reverse("payments:transaction-detail", args=[theirs.pk]))
    assert response.status_code == 404
    assert theirs.reference not in response.content.decode()


@pytest.mark.parametrize("query", ["created_to=9999-12-31", "created_from=0001-01-01", "created_from=9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_are_a_clear_error_not_a_500(query, client, django_user_model):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(role="viewer").user)
    page = client.get(f"/dashboard/transactions/?{query}")
    assert page.status_code == 200 and "Enter a date between 2000-01-01 and 9998-12-31" in page.content.decode()
    assert client.get(f"/dashboard/transactions/export.csv?{query}").status_code == 400


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "1999-01-01T00:00:00+00:00"])
def test_a_forged_cursor_at_the_ends_of_time_is_a_clear_message(stamp, client):
    import base64

    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(role="viewer").user)
    token = base64.urlsafe_b64encode(f"{stamp}|1".encode()).decode().rstrip("=")
    for direction in ("after", "before"):
        page = client.get(f"/dashboard/transactions/?{direction}={token}").content.decode()
        assert "That page link is not valid any more" in page
