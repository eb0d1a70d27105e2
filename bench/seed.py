"""Seed one merchant with N transactions on PostgreSQL, in bulk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paydesk_bench \
        /work/main/.venv/bin/python bench/seed.py 10 10000 1000000

Each size gets its own merchant (slug ``bench-<N>``) in the same database, so the big
merchant's rows sit next to the small ones' the way a real tenant's do, and every query
must find its merchant's rows through the indexes. A size already seeded is skipped.

Rows are made by PostgreSQL itself (``INSERT ... SELECT ... FROM generate_series``): a
million rows take well under a minute, where bulk_create would take several. The data is
spread over the last 60 days, across the five providers, every kind and status, with
payout and payment-link details for those kinds (the list joins them), two IBANs with a
month of balance snapshots, and one owner (``bench-owner``) the page benchmarks sign in as.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import Membership, Merchant, Role, User  # noqa: E402
from payments.models import BalanceSnapshot, IbanAccount  # noqa: E402
from providers.models import ProviderConnection  # noqa: E402
from providers.registry import PROVIDERS  # noqa: E402

SPREAD_SECONDS = 60 * 86400
KINDS = ["payment", "payout", "refund", "order", "settlement", "payment_link"]
# Weighted so that most rows succeed, as they do in life.
STATUSES = ["succeeded"] * 6 + ["pending", "failed", "cancelled", "unknown"]

TRANSACTIONS_SQL = """
INSERT INTO payments_transaction (
    merchant_id, connection_id, provider, kind, reference, external_id, amount, currency,
    status, raw_status, description, last_error, created_at, updated_at, sync_attempts, attention_reason
)
SELECT
    %(merchant)s,
    (%(connections)s::bigint[])[1 + g %% 5],
    (%(providers)s::text[])[1 + g %% 5],
    (%(kinds)s::text[])[1 + (g / 5) %% 6],
    'PD-B' || lpad(g::text, 9, '0'),
    'EXT-' || g,
    1 + ((g * 7919) %% 500000) / 100.0,
    'TRY',
    (%(statuses)s::text[])[1 + (g * 31 + g / 7) %% 10],
    'RAW_' || upper((%(statuses)s::text[])[1 + (g * 31 + g / 7) %% 10]),
    'Bench order ' || g,
    '',
    now() - make_interval(secs => g * %(step)s),
    now() - make_interval(secs => g * %(step)s),
    0,
    ''
FROM generate_series(1::bigint, %(size)s) AS g
"""

PAYOUTS_SQL = """
INSERT INTO payments_payoutdetail (transaction_id, username, customer_iban, customer_name)
SELECT id, 'user' || id, 'TR33000610051978645784' || lpad((id %% 100)::text, 2, '0'), 'Ayse Yilmaz'
FROM payments_transaction WHERE merchant_id = %(merchant)s AND kind = 'payout'
"""

LINKS_SQL = """
INSERT INTO payments_paymentlinkdetail
    (transaction_id, username, first_name, last_name, email, phone, order_id, payment_url)
SELECT id, 'user' || id, 'Ayse', 'Yilmaz', 'buyer' || id || '@example.test',
       '+90532' || lpad((id %% 10000000)::text, 7, '0'), 'ORD-' || id,
       'https://sandbox.example.test/pay/' || id
FROM payments_transaction WHERE merchant_id = %(merchant)s AND kind = 'payment_link'
"""


def owner() -> User:
    user, created = User.objects.get_or_create(username="bench-owner")
    if created:
        user.set_password("bench-owner-password")
        user.save()
    return user


def merchant_make(*, size: int) -> tuple[Merchant, list[ProviderConnection]]:
    merchant = Merchant.objects.create(
        name=f"Bench {size:,}", slug=f"bench-{size}", country="TR", default_currency="TRY"
    )
    Membership.objects.create(user=owner(), merchant=merchant, role=Role.OWNER)
    connections = []
    for key in PROVIDERS:
        c = ProviderConnection(merchant=merchant, provider=key, mode="test", base_url="http://127.0.0.1:8100/")
        c.credentials = {"api_key": "ak_bench_key_0001", "secret_key": "sk_bench_not_secret"}
        c.save()
        connections.append(c)
    return merchant, connections


def ibans_make(*, merchant: Merchant, enigmapay: ProviderConnection) -> None:
    for n in (1, 2):
        iban = IbanAccount.objects.create(
            merchant=merchant, connection=enigmapay, external_id=n, iban=f"TR33000610051978645784130{n}",
            owner_name="Bench Ltd", bank_name="Sandbox Bank", balance=10000 * n, currency="TRY",
        )
        snapshots = [BalanceSnapshot(iban=iban, balance=10000 * n + day * 37, currency="TRY") for day in range(30)]
        BalanceSnapshot.objects.bulk_create(snapshots)
        # auto_now_add wrote "now" on every row; spread them one a day back.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE payments_balancesnapshot SET at = now() - make_interval(days => (id %% 30)::int)"
                " WHERE iban_id = %s",
                [iban.pk],
            )


def seed(*, size: int) -> None:
    if Merchant.objects.filter(slug=f"bench-{size}").exists():
        print(f"bench-{size}: already seeded")
        return
    started = time.perf_counter()
    with transaction.atomic():
        merchant, connections = merchant_make(size=size)
        params = {
            "merchant": merchant.pk,
            "connections": [c.pk for c in connections],
            "providers": [c.provider for c in connections],
            "kinds": KINDS,
            "statuses": STATUSES,
            "step": SPREAD_SECONDS / size,
            "size": size,
        }
        with connection.cursor() as cursor:
            cursor.execute(TRANSACTIONS_SQL, params)
            cursor.execute(PAYOUTS_SQL, params)
            cursor.execute(LINKS_SQL, params)
        enigmapay = next(c for c in connections if c.provider == "enigmapay")
        ibans_make(merchant=merchant, enigmapay=enigmapay)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE payments_transaction")
        cursor.execute("ANALYZE payments_payoutdetail")
        cursor.execute("ANALYZE payments_paymentlinkdetail")
    print(f"bench-{size}: seeded {size:,} transactions in {time.perf_counter() - started:.1f} s")


def main(argv: list[str]) -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://...")
    call_command("migrate", verbosity=0)
    for size in [int(a) for a in argv] or [10, 10_000, 1_000_000]:
        seed(size=size)


if __name__ == "__main__":
    main(sys.argv[1:])
