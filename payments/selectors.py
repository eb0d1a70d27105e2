"""Reads of the money model. Every function takes the merchant (or a queryset that a
function here scoped to one), so no page can list another merchant's rows.

Policy that is not obvious:
- Lists are paged by keyset on ``(created_at, id)``, newest first, with an opaque cursor;
  nothing counts the whole table. The page after a cursor costs the same at row 50 as at
  row 999,950 because the cursor becomes an index range (see ``_older_than``).
- The home page's volume and success rate come from one aggregate query over the last
  30 days, grouped by provider, currency, day and status; they count the money customers
  pay (payments, orders, payment links), not payouts, refunds or settlements. Volume is
  what succeeded; the success rate is over the outcomes known so far (succeeded, or
  succeeded and later refunded, against failed and cancelled), so a day still pending
  does not look like a bad day.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Merchant
from payments.filters import TransactionFilter
from payments.models import BalanceSnapshot, IbanAccount, Kind, Status, Transaction
from providers.models import ProviderConnection
from providers.registry import PROVIDERS

PAGE_SIZE = 50
HOME_DAYS = 30
RECENT = 10
MONEY_IN = (Kind.PAYMENT, Kind.ORDER, Kind.PAYMENT_LINK)
_SUCCESS = (Status.SUCCEEDED, Status.REFUNDED)
_FAILURE = (Status.FAILED, Status.CANCELLED)

# The list's related rows, fetched in the same query (one query per page at any size).
_LIST_RELATED = ("payout", "payment_link", "customer")

# The CSV's columns: header, then the value path read with values_list (no model instances).
EXPORT_COLUMNS = [
    ("created_at", "created_at"),
    ("reference", "reference"),
    ("provider", "provider"),
    ("kind", "kind"),
    ("status", "status"),
    ("raw_status", "raw_status"),
    ("amount", "amount"),
    ("currency", "currency"),
    ("external_id", "external_id"),
    ("description", "description"),
    ("payout_iban", "payout__customer_iban"),
    ("payout_holder", "payout__customer_name"),
    ("link_email", "payment_link__email"),
    ("link_phone", "payment_link__phone"),
    ("customer_phone", "customer__phone"),
    ("customer_email", "customer__email"),
]


class BadCursor(ValueError):
    """A page link that was not made by ``cursor_encode`` (edited, truncated, stale format)."""


@dataclass(frozen=True)
class TransactionPage:
    rows: list[Transaction]
    newer: str | None  # cursor for ?before= (None on the newest page)
    older: str | None  # cursor for ?after= (None on the oldest page)


# -- Lists ---------------------------------------------------------------------------


def transaction_filter(*, merchant: Merchant, data: Mapping | None) -> TransactionFilter:
    """The merchant's transactions through the one FilterSet (page, API and CSV)."""
    queryset = Transaction.objects.filter(merchant=merchant).select_related(*_LIST_RELATED)
    return TransactionFilter(data if data is not None else {}, queryset=queryset, merchant=merchant)


def transaction_page(
    *, queryset: QuerySet, after: str = "", before: str = "", size: int = PAGE_SIZE
) -> TransactionPage:
    """One page of ``queryset`` newest first: after the ``after`` cursor (older rows) or
    before the ``before`` cursor (newer rows). Raises ``BadCursor`` for a forged one."""
    if before:
        return _page_newer(queryset, cursor_decode(before), size)
    position = cursor_decode(after) if after else None
    if position:
        queryset = _older_than(queryset, position)
    rows = list(queryset.order_by("-created_at", "-id")[: size + 1])
    older = cursor_encode(rows[size - 1]) if len(rows) > size else None
    rows = rows[:size]
    newer = cursor_encode(rows[0]) if position and rows else None
    return TransactionPage(rows=rows, newer=newer, older=older)


def _page_newer(queryset: QuerySet, position: tuple[dt.datetime, int], size: int) -> TransactionPage:
    at, pk = position
    newer_rows = queryset.filter(created_at__gte=at).filter(Q(created_at__gt=at) | Q(id__gt=pk))
    rows = list(newer_rows.order_by("created_at", "id")[: size + 1])
    has_newer = len(rows) > size
    rows = rows[:size][::-1]
    return TransactionPage(
        rows=rows,
        newer=cursor_encode(rows[0]) if has_newer else None,
        older=cursor_encode(rows[-1]) if rows else None,
    )


def _older_than(queryset: QuerySet, position: tuple[dt.datetime, int]) -> QuerySet:
    # The plain ``created_at <= at`` is what the index range is built from; the OR only
    # settles ties on the same instant. Without it PostgreSQL walks every newer row.
    at, pk = position
    return queryset.filter(created_at__lte=at).filter(Q(created_at__lt=at) | Q(id__lt=pk))


def cursor_encode(transaction: Transaction) -> str:
    raw = f"{transaction.created_at.isoformat()}|{transaction.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(token: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, pk = raw.split("|")
        at = parse_datetime(stamp)
        if at is None or timezone.is_naive(at):
            raise ValueError(stamp)
        at = at.astimezone(dt.UTC)  # fails for a year that does not survive the shift
        if not 2000 <= at.year <= 9998 or not 0 < int(pk) < 10**18:
            raise ValueError(stamp)  # no row of Paydesk's was made then: a forged cursor
        return at, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as e:
        raise BadCursor(token) from e


def transaction_export_rows(*, queryset: QuerySet) -> Iterator[tuple]:
    """The CSV's rows as tuples, read in chunks so that memory stays flat at any size."""
    paths = [path for _, path in EXPORT_COLUMNS]
    return queryset.order_by("-created_at", "-id").values_list(*paths).iterator(chunk_size=2000)


# -- One transaction -----------------------------------------------------------------


def transaction_get(*, merchant: Merchant, pk: int) -> Transaction:
    """A transaction of ``merchant`` with what its page shows; another merchant's is a 404."""
    queryset = Transaction.objects.select_related(
        *_LIST_RELATED, "created_by", "connection", "parent"
    ).prefetch_related("events")
    return get_object_or_404(queryset, merchant=merchant, pk=pk)


# -- Home ----------------------------------------------------------------------------


def home_context(*, merchant: Merchant) -> dict:
    """What the home partial (templates/payments/_home.html) shows, in five queries at
    any data size: IBANs, their snapshots, one aggregate, recent rows, the EnigmaPay
    connection."""
    today = timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in range(HOME_DAYS - 1, -1, -1)]
    return {
        "ibans": iban_balances(merchant=merchant, since=days[0]),
        "volume": provider_volume(merchant=merchant, days=days),
        "recent": list(
            Transaction.objects.filter(merchant=merchant).select_related(*_LIST_RELATED)[:RECENT]
        ),
        "has_enigmapay": ProviderConnection.objects.filter(merchant=merchant, provider="enigmapay").exists(),
    }


def iban_balances(*, merchant: Merchant, since: dt.date) -> list[dict]:
    """Each IBAN with its balance and its snapshots since ``since``, oldest first, plus
    the chart's data (labels and numbers; the table beside it shows the exact amounts)."""
    snapshots = BalanceSnapshot.objects.filter(at__gte=_start_of(since)).order_by("at", "id")
    ibans = IbanAccount.objects.filter(merchant=merchant).prefetch_related(
        Prefetch("snapshots", queryset=snapshots, to_attr="history")
    ).order_by("-active", "iban")
    return [
        {
            "account": iban,
            "history": iban.history,
            "chart_id": f"iban-chart-{iban.pk}",
            "chart": {
                "type": "line",
                "labels": [timezone.localtime(s.at).strftime("%d %b %H:%M") for s in iban.history],
                "series": [{"label": f"Balance ({iban.currency})", "data": [float(s.balance) for s in iban.history]}],
            },
        }
        for iban in ibans
    ]


def provider_volume(*, merchant: Merchant, days: list[dt.date]) -> dict:
    """Volume and success rate per provider (and currency) per day, from ONE query."""
    grouped = (
        Transaction.objects.filter(merchant=merchant, kind__in=MONEY_IN, created_at__gte=_start_of(days[0]))
        # A payment made on an order (EnKash) is that order's money: the order counts, once.
        .exclude(kind=Kind.PAYMENT, parent__isnull=False)
        .annotate(day=TruncDate("created_at"))
        .values("provider", "currency", "day", "status")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    cells: dict[tuple[str, str], dict[dt.date, dict]] = defaultdict(lambda: defaultdict(_empty_cell))
    for row in grouped:
        cell = cells[(row["provider"], row["currency"])][row["day"]]
        cell["count"] += row["n"]
        if row["status"] == Status.SUCCEEDED:
            cell["volume"] += row["total"]
        if row["status"] in _SUCCESS:
            cell["succeeded"] += row["n"]
        elif row["status"] in _FAILURE:
            cell["failed"] += row["n"]
    return _volume_view(cells, days)


def _empty_cell() -> dict:
    return {"count": 0, "succeeded": 0, "failed": 0, "volume": Decimal("0.00")}


def _volume_view(cells: dict, days: list[dt.date]) -> dict:
    rows, volume_series, rate_series = [], [], []
    for (provider, currency), by_day in sorted(cells.items()):
        name = PROVIDERS[provider].label if provider in PROVIDERS else provider
        volumes, rates = [], []
        for day in days:
            cell = by_day.get(day) or _empty_cell()
            decided = cell["succeeded"] + cell["failed"]
            rate = round(100 * cell["succeeded"] / decided, 1) if decided else None
            volumes.append(float(cell["volume"]))
            rates.append(rate)
            if cell["count"]:
                rows.append({"day": day, "provider": name, "currency": currency, "rate": rate, **cell})
        volume_series.append({"label": f"{name} ({currency})", "data": volumes})
        rate_series.append({"label": f"{name} ({currency})", "data": rates})
    labels = [day.strftime("%d %b") for day in days]
    return {
        "rows": sorted(rows, key=lambda r: (-r["day"].toordinal(), r["provider"], r["currency"])),
        "volume_chart": {"type": "bar", "labels": labels, "series": volume_series},
        "rate_chart": {"type": "line", "labels": labels, "series": rate_series, "unit": "%"},
    }


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# -- EnigmaPay desk --------------------------------------------------------------------------
def enigmapay_connections(*, merchant: Merchant) -> QuerySet[ProviderConnection]:
    # Test before live: whatever picks "the first" by default never lands on real money.
    return ProviderConnection.objects.filter(merchant=merchant, provider="enigmapay").order_by("-mode")


def ibans_for(*, merchant: Merchant) -> list[IbanAccount]:
    accounts = IbanAccount.objects.filter(merchant=merchant).select_related("connection")
    return list(accounts.order_by("-active", "iban"))


def iban_get(*, merchant: Merchant, pk: int) -> IbanAccount:
    return get_object_or_404(IbanAccount.objects.select_related("connection"), merchant=merchant, pk=pk)


def iban_snapshots(*, iban: IbanAccount, limit: int = 60) -> list[BalanceSnapshot]:
    return list(BalanceSnapshot.objects.filter(iban=iban).order_by("-at")[:limit])
