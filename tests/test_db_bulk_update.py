"""config.db.bulk_update_by_pk: what bulk_update saves, in one UPDATE ... FROM VALUES on
PostgreSQL (bulk_update itself on SQLite)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from config.db import bulk_update_by_pk
from payments.models import Transaction
from tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db


def _rows(count: int, **fields) -> list[Transaction]:
    first = TransactionFactory(**fields)
    return [first, *(TransactionFactory(merchant=first.merchant, connection=first.connection, **fields)
                     for _ in range(count - 1))]


def test_each_row_gets_its_own_values_nulls_in_the_first_row_included(django_assert_num_queries):
    *rows, other = _rows(4, next_sync_at=timezone.now(), raw_status="untouched")
    later = timezone.now() + timedelta(hours=1)
    rows[0].next_sync_at, rows[0].raw_status, rows[0].sync_attempts = None, "", 7  # NULL first: not text
    rows[1].next_sync_at, rows[1].raw_status, rows[1].sync_attempts = later, "Completed", 2
    rows[2].next_sync_at, rows[2].raw_status, rows[2].amount = later, "İşlem 'tamam'", Decimal("12.34")
    # One statement on PostgreSQL; bulk_update on SQLite is one too at this size.
    with django_assert_num_queries(1):
        assert bulk_update_by_pk(rows, ["next_sync_at", "raw_status", "sync_attempts", "amount"]) == 3
    got = {t.pk: t for t in Transaction.objects.filter(pk__in=[r.pk for r in rows])}
    assert (got[rows[0].pk].next_sync_at, got[rows[0].pk].raw_status, got[rows[0].pk].sync_attempts) == (None, "", 7)
    assert (got[rows[1].pk].next_sync_at, got[rows[1].pk].raw_status) == (later, "Completed")
    assert (got[rows[2].pk].raw_status, got[rows[2].pk].amount) == ("İşlem 'tamam'", Decimal("12.34"))
    assert Transaction.objects.get(pk=other.pk).raw_status == "untouched"


def test_nothing_to_save_sends_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk_update_by_pk([], ["status"]) == 0


def test_many_rows_are_split_under_the_parameter_limit(monkeypatch):
    monkeypatch.setattr("config.db._MAX_PARAMS", 6)  # 3 columns: two rows per statement
    rows = _rows(5)
    for n, row in enumerate(rows):
        row.raw_status, row.sync_attempts = f"s{n}", n
    assert bulk_update_by_pk(rows, ["raw_status", "sync_attempts"]) == 5
    assert sorted(Transaction.objects.values_list("raw_status", "sync_attempts")) == [(f"s{n}", n) for n in range(5)]


def test_a_column_set_to_null_in_every_row(django_assert_num_queries):
    # Without a cast, PostgreSQL would take a column of NULLs in VALUES for text.
    rows = _rows(2, next_sync_at=timezone.now(), needs_attention_since=timezone.now())
    for row in rows:
        row.next_sync_at = row.needs_attention_since = None
    assert bulk_update_by_pk(rows, ["next_sync_at", "needs_attention_since"]) == 2
    assert set(Transaction.objects.values_list("next_sync_at", "needs_attention_since")) == {(None, None)}
