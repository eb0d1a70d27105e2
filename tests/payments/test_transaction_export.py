"""CSV export: the filtered list of the current merchant only, cells a spreadsheet would
evaluate defused, bad filters refused, and 50,000 rows streamed with flat memory."""

import csv
import io
import time
import tracemalloc
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.models import Role
from payments.models import Transaction
from tests.factories import (
    ConnectionFactory,
    MembershipFactory,
    MerchantFactory,
    PayoutDetailFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

EXPORT = reverse("payments:transaction-export")


@pytest.fixture
def merchant():
    return MerchantFactory(name="Alpha Bazaar", slug="alpha")


@pytest.fixture
def enigmapay(merchant):
    return ConnectionFactory(merchant=merchant, provider="enigmapay")


def member(client, merchant, role=Role.OWNER):
    membership = MembershipFactory(merchant=merchant, role=role)
    client.force_login(membership.user)


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.VIEWER])
def test_export_has_the_merchants_filtered_rows(client, merchant, enigmapay, role):
    payout = PayoutDetailFactory(
        transaction=TransactionFactory(merchant=merchant, connection=enigmapay, amount=Decimal("1250.50"),
                                       status="succeeded", raw_status="COMPLETED", external_id="EP-1"),
        customer_name="Ayşe Yılmaz",
    ).transaction
    TransactionFactory(merchant=merchant, connection=enigmapay, status="failed")  # filtered out
    TransactionFactory(status="succeeded")  # another merchant's
    member(client, merchant, role)

    response = client.get(EXPORT, {"status": "succeeded"})

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="transactions-alpha-')
    rows = read_csv(response)
    assert len(rows) == 1
    row = rows[0]
    assert row["reference"] == payout.reference
    assert row["amount"] == "1250.50" and row["currency"] == "TRY"
    assert row["status"] == "succeeded" and row["raw_status"] == "COMPLETED"
    assert row["provider"] == "enigmapay" and row["kind"] == "payout" and row["external_id"] == "EP-1"
    assert row["payout_iban"] == "TR330006100519786457841326" and row["payout_holder"] == "Ayşe Yılmaz"
    assert row["link_email"] == "" and row["customer_phone"] == ""
    assert row["created_at"].startswith(str(payout.created_at.date()))


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"])
def test_cells_a_spreadsheet_would_evaluate_are_defused(client, merchant, enigmapay, dangerous):
    TransactionFactory(merchant=merchant, connection=enigmapay, description=dangerous)
    member(client, merchant)
    row = read_csv(client.get(EXPORT))[0]
    assert row["description"] == "'" + dangerous


def test_ordinary_cells_are_left_alone(client, merchant, enigmapay):
    TransactionFactory(merchant=merchant, connection=enigmapay, description="Order 12 - blue, large")
    member(client, merchant)
    assert read_csv(client.get(EXPORT))[0]["description"] == "Order 12 - blue, large"


def test_a_bad_filter_is_refused_rather_than_exporting_everything(client, merchant, enigmapay):
    TransactionFactory(merchant=merchant, connection=enigmapay)
    member(client, merchant)
    response = client.get(EXPORT, {"amount_min": "ten"})
    assert response.status_code == 400
    assert b"Fix the filters first" in response.content and b"amount_min" in response.content


def test_export_needs_a_member(client):
    assert client.get(EXPORT).status_code == 302


def test_50000_rows_stream_with_flat_memory(client, merchant, enigmapay):
    Transaction.objects.bulk_create(
        [
            Transaction(merchant=merchant, connection=enigmapay, provider="enigmapay", kind="payout",
                        amount=Decimal("10.00") + i % 1000, currency="TRY", reference=f"PD-E{i:08d}",
                        description=f"Bulk payout {i}")
            for i in range(50_000)
        ],
        batch_size=5000,
    )
    member(client, merchant)

    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(EXPORT)
    assert response.streaming  # nothing has been read yet
    lines = 0
    size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"\nCSV export: 50,000 rows, {size / 1e6:.1f} MB in {elapsed:.2f} s "
          f"({50_000 / elapsed:,.0f} rows/s), tracemalloc peak {peak / 1e6:.1f} MB")
    assert lines == 50_001  # header + rows
    assert peak < 30e6  # the body alone is ~7 MB; a list of 50,000 instances would be far more
