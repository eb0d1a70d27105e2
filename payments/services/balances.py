"""EnigmaPay IBANs and their balances.

EnigmaPay recomputes balances once a minute and says asking more often gains nothing,
so a refresh within a minute of the last one for the same connection answers from the
database and sends nothing. The minute is claimed with one conditional UPDATE on the
connection's IBAN rows, so two workers (or a double click) cannot both call."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from payments.models import BalanceSnapshot, IbanAccount
from providers.enigmapay.client import BALANCE_REFRESH_SECONDS
from providers.models import ProviderConnection
from providers.services import client_for


def ibans_refresh(*, connection: ProviderConnection, force: bool = False) -> list[IbanAccount]:
    """Read the connection's IBANs and balances from EnigmaPay (at most once a minute,
    ``force`` or not: ``force`` only skips the wait when no IBAN is stored yet) and
    store a snapshot of each balance. Provider errors propagate, nothing is stored."""
    now = timezone.now()
    stored = IbanAccount.objects.filter(connection=connection)
    if stored.exists() and not _claim_minute(connection, now):
        return list(stored)
    upstream = client_for(connection).ibans()
    with transaction.atomic():
        seen = []
        for item in upstream:
            account, _ = IbanAccount.objects.update_or_create(
                connection=connection,
                external_id=item.id,
                defaults={
                    "merchant_id": connection.merchant_id,
                    "iban": item.iban,
                    "owner_name": item.owner_name,
                    "bank_name": item.bank_name,
                    "active": item.active,
                    "raw_status": item.raw_status[:40],
                    "balance": item.balance.amount,
                    "currency": item.balance.currency,
                    "balance_at": now,
                    "refresh_claimed_at": now,
                },
            )
            BalanceSnapshot.objects.create(iban=account, balance=item.balance.amount, currency=item.balance.currency)
            seen.append(account.pk)
        # An IBAN EnigmaPay no longer lists is kept (its history matters) but shown inactive.
        stored.exclude(pk__in=seen).update(active=False)
    return list(IbanAccount.objects.filter(connection=connection))


def _claim_minute(connection: ProviderConnection, now) -> bool:
    cutoff = now - timedelta(seconds=BALANCE_REFRESH_SECONDS)
    claimed = (
        IbanAccount.objects.filter(connection=connection)
        .filter(Q(refresh_claimed_at__isnull=True) | Q(refresh_claimed_at__lte=cutoff))
        .update(refresh_claimed_at=now)
    )
    return claimed > 0


def iban_history(*, iban: IbanAccount, start: date | None = None, end: date | None = None):
    """The IBAN's deposits and withdrawals from EnigmaPay for a date range (read live:
    the upstream is the record; Paydesk keeps its own payouts as transactions)."""
    return client_for(iban.connection).iban_transactions(iban_id=iban.external_id, start_date=start, end_date=end)


def available_balance(*, connection: ProviderConnection):
    """What one payout can draw, as last read: EnigmaPay pays from a single IBAN, so the
    largest active IBAN balance (None when no balance is known yet)."""
    accounts = IbanAccount.objects.filter(connection=connection, active=True, balance__isnull=False)
    return max(accounts.values_list("balance", flat=True), default=None)
