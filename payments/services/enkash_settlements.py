"""EnKash settlements and QR codes: the settlement search and its upsert with matching,
static QR codes (create, cancel, refresh, import) and QR customers.

Policy that is not obvious:
- The settlement search pages through EnKash's answer at its own page limit (5000),
  oldest payout date first, so a first search stores older payouts before newer ones
  and Paydesk's list (newest record first) follows the payout dates. It is a read:
  run it as often as needed; a payout found again updates its row, never adds one.
- Two searches of one connection at once (a schedule and a person's "search now") are
  serialised by a row lock on the connection while each payout is recorded, so a payout
  is never recorded twice (the core table has no unique external id to lean on).
- A payout's status moves only through ``transitions`` with ``from_provider=True``.
- The search omits the settled transactions; each payout's items are read once with
  ``settlement_payout`` (items do not change once settled) and matched to Paydesk's own
  transactions by external id on the same connection. Unmatched items are matched again
  whenever the payout is seen, so a payment Paydesk records later still gets linked.
- Creating a QR code is not retried by the client (a repeat makes a second code). When
  the answer is lost, the code is looked for by name among EnKash's codes made since the
  request, with the same usage, amount and customer; exactly one new match is adopted,
  anything else is an error that says to look at the list before creating again.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import (
    Kind,
    QrCode,
    QrCodeEvent,
    QrCustomer,
    SettledItem,
    SettlementDetail,
    Status,
    Transaction,
)
from payments.services.common import Actor, checked_amount
from payments.transitions import transaction_record_created, transition_apply
from providers.base.errors import ProviderError, ProviderOutcomeUnknown, ProviderRejected, ProviderUnavailable
from providers.enkash import types as enkash
from providers.models import ProviderConnection
from providers.services import client_for

logger = logging.getLogger("payments.enkash_settlements")

PROVIDER = "enkash"
CURRENCY = "INR"
# EnKash's largest page (limit 1-5000, README "Search settlement payouts").
PROVIDER_PAGE_LIMIT = 5000
# A search stops after this many pages (a million payouts); narrow the dates for more.
MAX_PAGES = 200
# How soon the status sync asks again about a payout EnKash has not paid yet.
PENDING_RECHECK = dt.timedelta(minutes=2)
# EnKash's payout words by Paydesk status, for a search filtered by status.
PAYOUT_STATUS_FILTER = {Status.SUCCEEDED: "SUCCESS", Status.FAILED: "FAILED"}
MOBILE_RE = re.compile(r"^[6-9]\d{9}$")


def enkash_connections(*, merchant):
    # Test before live, as for EnigmaPay: whatever picks "the first" never lands on real money.
    return ProviderConnection.objects.filter(merchant=merchant, provider=PROVIDER).order_by("-mode", "pk")


# -- settlements ------------------------------------------------------------------------------
@dataclass
class SearchResult:
    found: int = 0
    created: int = 0
    changed: int = 0
    items_read: int = 0
    settlements: list[Transaction] = field(default_factory=list)


def settlements_search(
    *, connection: ProviderConnection, actor: Actor, from_date: dt.date | None = None,
    to_date: dt.date | None = None, status: str | None = None, utr: str | None = None,
    page_size: int = PROVIDER_PAGE_LIMIT,
) -> SearchResult:
    """Search EnKash's settlement payouts (every page) and record each one with its items.
    ``status`` is Paydesk's (pending, succeeded, failed). Provider errors propagate; what
    was recorded before the error stays recorded."""
    client = client_for(connection)
    wanted = PAYOUT_STATUS_FILTER.get(status) if status else None
    result = SearchResult()
    for page_number in range(MAX_PAGES):
        page = client.search_settlement_payouts(
            offset=page_number * page_size, limit=page_size, order_by="payoutDate", direction="ASC",
            from_date=from_date, to_date=to_date, payout_status=wanted, utr=(utr or "").strip() or None,
        )
        for payout in page.payouts:
            if status == Status.PENDING and enkash.PAYOUT_STATUSES.get(payout.raw_status.upper()) != Status.PENDING:
                continue  # EnKash has two pending words: asked for neither, filtered here
            _record(client, connection, payout, actor, result)
        if not page.payouts or page.offset + len(page.payouts) >= page.total_count:
            break
    return result


def _record(client, connection, payout: enkash.SettlementPayout, actor: Actor, result: SearchResult) -> None:
    tx, created, changed = settlement_upsert(connection=connection, payout=payout, actor=actor)
    result.found += 1
    result.created += created
    result.changed += changed
    detail = tx.settlement
    if detail.items_read_at is None or detail.items.count() != payout.transaction_count:
        full = client.settlement_payout(payout_id=payout.payout_id)
        settlement_items_store(detail=detail, items=full.transactions)
        result.items_read += 1
    else:
        settlement_items_match(detail=detail)
    result.settlements.append(tx)


def settlement_upsert(
    *, connection: ProviderConnection, payout: enkash.SettlementPayout, actor: Actor
) -> tuple[Transaction, bool, bool]:
    """Record one payout as EnKash describes it: (transaction, created, status changed)."""
    status = _status_of(payout)
    with transaction.atomic():
        ProviderConnection.objects.select_for_update().filter(pk=connection.pk).first()
        tx = Transaction.objects.filter(
            connection=connection, kind=Kind.SETTLEMENT, external_id=payout.payout_id
        ).select_related("settlement").first()
        if tx is None:
            return _create(connection, payout, status, actor), True, False
        _detail_update(tx.settlement, payout)
    changed = False
    if status != tx.status or payout.raw_status != tx.raw_status:
        final = status in (Status.SUCCEEDED, Status.FAILED)
        outcome = transition_apply(
            transaction=tx, to_status=status, source=actor.source, actor=actor.label, raw_status=payout.raw_status,
            from_provider=True, note=_status_note(payout),
            fields={"next_sync_at": None if final else timezone.now() + PENDING_RECHECK,
                    **({"needs_attention_since": None, "attention_reason": ""} if final else {})},
        )
        changed = outcome.changed
    tx.refresh_from_db()
    return tx, False, changed


def _status_of(payout: enkash.SettlementPayout) -> str:
    # A word Paydesk does not know proves nothing moved yet: pending, asked again.
    return payout.status if payout.status in (Status.SUCCEEDED, Status.FAILED) else Status.PENDING


def _status_note(payout: enkash.SettlementPayout) -> str:
    if payout.status == Status.SUCCEEDED:
        return f"EnKash paid the settlement out{f' (UTR {payout.utr})' if payout.utr else ''}."
    if payout.status == Status.FAILED:
        return "EnKash says the payout to the bank failed."
    return f"EnKash says {payout.raw_status}."


def _create(connection, payout: enkash.SettlementPayout, status: str, actor: Actor) -> Transaction:
    net = payout.settlement_amount.amount
    gross = payout.total_sales.amount + payout.total_refunds.amount
    description = f"EnKash settlement {payout.payout_date or ''}".strip()
    if net <= 0:
        description = "Nothing paid out: the refunds exceeded the sales (carried forward). Amount is the volume."
    tx = Transaction.objects.create(
        merchant_id=connection.merchant_id, connection=connection, provider=PROVIDER, kind=Kind.SETTLEMENT,
        external_id=payout.payout_id, amount=net if net > 0 else max(gross, Decimal("0.01")), currency=CURRENCY,
        status=status, raw_status=payout.raw_status[:60], description=description[:200],
        next_sync_at=None if status != Status.PENDING else timezone.now() + PENDING_RECHECK,
    )
    SettlementDetail.objects.create(transaction=tx, **_detail_fields(payout))
    transaction_record_created(
        transaction=tx, source=actor.source, actor=actor.label,
        note=f"Found by the EnKash settlement search. {_status_note(payout)}",
    )
    return Transaction.objects.select_related("settlement").get(pk=tx.pk)


def _detail_fields(payout: enkash.SettlementPayout) -> dict:
    return {
        "payout_mode": payout.payout_mode or "", "utr": payout.utr or "", "payout_date": payout.payout_date,
        "total_sales": payout.total_sales.amount, "total_refunds": payout.total_refunds.amount,
        "total_charges": payout.total_charges.amount, "total_gst": payout.total_gst.amount,
        "settlement_amount": payout.settlement_amount.amount,
        "carry_forward_amount": payout.carry_forward_amount.amount,
        "adjustment_amount": payout.adjustment_amount.amount, "transaction_count": payout.transaction_count,
        "last_seen_at": timezone.now(),
    }


def _detail_update(detail: SettlementDetail, payout: enkash.SettlementPayout) -> None:
    for name, value in _detail_fields(payout).items():
        setattr(detail, name, value)
    detail.save()


def settlement_items_store(*, detail: SettlementDetail, items) -> None:
    """The payout's settled transactions (idempotent: an item is keyed by its id)."""
    with transaction.atomic():
        for item in items:
            SettledItem.objects.update_or_create(
                settlement=detail, external_id=item.transaction_id,
                defaults={
                    "order_id": item.order_id or "", "type": item.kind[:20], "amount": item.amount.amount,
                    "charges": item.charges.amount, "gst": item.gst.amount, "net_amount": item.net_amount.amount,
                },
            )
        SettlementDetail.objects.filter(pk=detail.pk).update(items_read_at=timezone.now())
    detail.items_read_at = timezone.now()
    settlement_items_match(detail=detail)


def settlement_items_match(*, detail: SettlementDetail) -> int:
    """Link each unmatched item to Paydesk's transaction with its external id on the same
    connection (a payment or refund by EnKash's id; failing that, an order by its order
    id). Returns how many were linked now."""
    open_items = list(detail.items.filter(matched__isnull=True))
    if not open_items:
        return 0
    connection_id = Transaction.objects.values_list("connection_id", flat=True).get(pk=detail.transaction_id)
    own = Transaction.objects.filter(connection_id=connection_id).exclude(kind=Kind.SETTLEMENT)
    by_id = _first_by_external(own.filter(external_id__in={i.external_id for i in open_items}))
    by_order = _first_by_external(own.filter(kind=Kind.ORDER, external_id__in={i.order_id for i in open_items
                                                                                 if i.order_id}))
    linked = 0
    for item in open_items:
        match = by_id.get(item.external_id) or by_order.get(item.order_id)
        if match is not None:
            SettledItem.objects.filter(pk=item.pk).update(matched=match)
            linked += 1
    return linked


def _first_by_external(queryset) -> dict[str, int]:
    found: dict[str, int] = {}
    for pk, external in queryset.order_by("created_at", "id").values_list("id", "external_id"):
        found.setdefault(external, pk)
    return found


def settlement_refresh(*, settlement: Transaction, actor: Actor) -> Transaction:
    """Ask EnKash about one payout (its status, totals and items) and record the answer."""
    client = client_for(settlement.connection)
    payout = client.settlement_payout(payout_id=settlement.external_id)
    tx, _, _ = settlement_upsert(connection=settlement.connection, payout=payout, actor=actor)
    settlement_items_store(detail=tx.settlement, items=payout.transactions)
    return tx


# -- QR customers -----------------------------------------------------------------------------
def qr_customer_validate(*, name: str, email: str = "", mobile: str = "") -> dict:
    errors: dict[str, str] = {}
    name, email, mobile = (name or "").strip(), (email or "").strip(), "".join((mobile or "").split())
    if mobile.startswith("+91"):
        mobile = mobile[3:]
    if not name:
        errors["name"] = "Enter the customer's name."
    elif len(name) > 100:
        errors["name"] = "Keep the name under 100 characters."
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter an email address such as ravi@example.com."
    if mobile and not MOBILE_RE.fullmatch(mobile):
        errors["mobile"] = "Enter a 10-digit Indian mobile number (it starts with 6, 7, 8 or 9)."
    if errors:
        raise ValidationError(errors)
    return {"name": name, "email": email, "mobile": mobile}


def qr_customer_create(*, connection: ProviderConnection, actor: Actor, name: str, email: str = "",
                       mobile: str = "") -> QrCustomer:
    """Create the customer at EnKash and keep it. A mobile EnKash already has is a field
    error; that customer is fetched and kept, so it can be picked at once."""
    clean = qr_customer_validate(name=name, email=email, mobile=mobile)
    client = client_for(connection)
    try:
        made = client.create_qr_customer(name=clean["name"], email=clean["email"] or None,
                                         mobile=clean["mobile"] or None)
    except ProviderRejected as e:
        if e.code == "duplicate_customer":
            qr_customers_search(connection=connection, mobile=clean["mobile"])
            raise ValidationError({"mobile": "EnKash already has a customer with this mobile: pick it from the "
                                             "list instead."}) from None
        raise
    return _customer_store(connection, made)


def _customer_store(connection, customer: enkash.QrCustomer) -> QrCustomer:
    row, _ = QrCustomer.objects.update_or_create(
        connection=connection, external_id=customer.customer_id,
        defaults={"merchant_id": connection.merchant_id, "name": customer.name[:100],
                  "email": (customer.email or "")[:254], "mobile": (customer.mobile or "")[:20]},
    )
    return row


def qr_customers_search(*, connection: ProviderConnection, name: str = "", email: str = "",
                        mobile: str = "") -> list[QrCustomer]:
    """Search EnKash's QR customers (first 5000) and keep what it lists."""
    mobile = "".join((mobile or "").split()).removeprefix("+91")
    page = client_for(connection).search_qr_customers(
        limit=PROVIDER_PAGE_LIMIT, name=(name or "").strip() or None, email=(email or "").strip() or None,
        mobile=mobile or None,
    )
    return [_customer_store(connection, c) for c in page.customers]


# -- QR codes ---------------------------------------------------------------------------------
def qr_code_validate(
    *, connection: ProviderConnection, name: str, multiple_use: bool, fixed_amount: bool, amount: object = None,
    description: str = "", expires_at: dt.datetime | None = None, customer: QrCustomer | None = None,
) -> dict:
    """The QR code as it would be sent, or ValidationError by field. Sends nothing."""
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if connection.provider != PROVIDER:
        errors["connection"] = "QR codes are made through EnKash."
    if not name:
        errors["name"] = "Give the QR code a name (the payer sees it), e.g. Counter 1."
    elif len(name) > 50:
        errors["name"] = "Keep the name under 50 characters."
    value = None
    if fixed_amount:
        try:
            value = checked_amount(amount, places=2, currency=CURRENCY)
        except ValidationError as e:
            errors.update({k: v[0] for k, v in e.message_dict.items()})
        else:
            if value > Decimal("500000.00"):
                errors["amount"] = "EnKash takes at most 5,00,000.00 INR per payment."
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            expires_at = timezone.make_aware(expires_at)
        if expires_at <= timezone.now() + dt.timedelta(minutes=1):
            errors["expires_at"] = "The expiry must be in the future."
    if customer is not None and customer.connection_id != connection.pk:
        errors["customer"] = "That customer belongs to another EnKash connection."
    if len(description or "") > 200:
        errors["description"] = "Keep the description under 200 characters."
    if errors:
        raise ValidationError(errors)
    return {"name": name, "multiple_use": bool(multiple_use), "amount": value,
            "description": (description or "").strip(), "expires_at": expires_at, "customer": customer}


def qr_code_create(*, connection: ProviderConnection, actor: Actor, request_key: str | None = None,
                   **fields) -> QrCode:
    """Create a static QR code at EnKash and keep it. ``request_key`` (a form token or
    an Idempotency-Key) made at most one code: asked again, it answers that code."""
    clean = qr_code_validate(connection=connection, **fields)
    if request_key:
        existing = QrCode.objects.filter(merchant_id=connection.merchant_id, request_key=request_key).first()
        if existing is not None:
            return existing
    customer = clean["customer"]
    started = timezone.now()
    client = client_for(connection)
    try:
        made = client.create_qr_code(
            name=clean["name"], multiple_use=clean["multiple_use"], amount=clean["amount"],
            description=clean["description"] or None, expires_at=clean["expires_at"],
            customer_id=customer.external_id if customer else None,
        )
        note = "Created at EnKash."
    except (ProviderUnavailable, ProviderOutcomeUnknown) as e:
        made = _find_lost_code(client, connection, clean, started)
        if made is None:
            raise ProviderUnavailable(
                f"{e.message} EnKash may have made the QR code anyway: refresh the QR code list from EnKash "
                "before creating it again.", provider=PROVIDER, operation="create_qr_code", code=e.code,
            ) from e
        note = "EnKash's answer was lost; the code was found in EnKash's list and kept."
    return _qr_store(connection, made, actor=actor, request_key=request_key, customer=customer, note=note)


def _find_lost_code(client, connection, clean: dict, started: dt.datetime):
    try:
        page = client.search_qr_codes(limit=PROVIDER_PAGE_LIMIT, name=clean["name"],
                                      customer_id=clean["customer"].external_id if clean["customer"] else None)
    except ProviderError:
        return None
    known = set(QrCode.objects.filter(connection=connection).values_list("external_id", flat=True))
    since = started - dt.timedelta(minutes=2)  # the two clocks differ a little
    candidates = [
        q for q in page.qr_codes
        if q.qr_code_id not in known and q.name == clean["name"] and q.multiple_use == clean["multiple_use"]
        and (q.amount.amount if q.amount else None) == clean["amount"]
        and (q.created_at is None or q.created_at >= since)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _qr_store(connection, made: enkash.QrCode, *, actor: Actor, request_key: str | None = None,
              customer: QrCustomer | None = None, note: str = "") -> QrCode:
    if customer is None and made.customer_id:
        customer = QrCustomer.objects.filter(connection=connection, external_id=made.customer_id).first()
        if customer is None:
            customer = _customer_store(connection, enkash.QrCustomer(
                customer_id=made.customer_id, name=made.customer_name or made.customer_id,
                email=made.customer_email, mobile=made.customer_mobile, created_at=None))
    fields = _qr_fields(made)
    try:
        with transaction.atomic():
            qr, created = QrCode.objects.update_or_create(
                connection=connection, external_id=made.qr_code_id,
                defaults={**fields, "merchant_id": connection.merchant_id, "customer": customer},
                create_defaults={**fields, "merchant_id": connection.merchant_id, "customer": customer,
                                 "request_key": request_key, "created_by": actor.user_or_none},
            )
    except IntegrityError:  # the same request key made it meanwhile
        return QrCode.objects.get(merchant_id=connection.merchant_id, request_key=request_key)
    if created:
        QrCodeEvent.objects.create(qr_code=qr, source=actor.source, actor=actor.label[:150], note=note or
                                   "Found in EnKash's list of QR codes.")
    return qr


def _qr_fields(made: enkash.QrCode) -> dict:
    return {
        "name": made.name[:50], "multiple_use": made.multiple_use, "fixed_amount": made.fixed_amount,
        "amount": made.amount.amount if made.amount else None, "description": (made.description or "")[:200],
        "expires_at": made.expires_at, "raw_status": made.raw_status[:40],
        "status": QrCode.Status.ACTIVE if made.is_active else QrCode.Status.CANCELLED,
        "upi_url": made.upi_url or "", "png": made.png, "payments_count": made.payments_count,
        "amount_received": made.amount_received.amount, "customer_name": (made.customer_name or "")[:100],
    }


def qr_code_cancel(*, qr_code: QrCode, actor: Actor) -> QrCode:
    """Cancel the code at EnKash (idempotent there too) and record it."""
    if qr_code.status == QrCode.Status.CANCELLED:
        return qr_code
    made = client_for(qr_code.connection).cancel_qr_code(qr_code_id=qr_code.external_id)
    return _qr_update(qr_code, made, actor=actor, note="Cancelled: payers can no longer pay this code.")


def qr_code_refresh(*, qr_code: QrCode, actor: Actor) -> QrCode:
    """Read the code again (payments received, status)."""
    made = client_for(qr_code.connection).get_qr_code(qr_code_id=qr_code.external_id)
    return _qr_update(qr_code, made, actor=actor)


def _qr_update(qr_code: QrCode, made: enkash.QrCode, *, actor: Actor, note: str = "") -> QrCode:
    before = (qr_code.status, qr_code.payments_count)
    for name, value in _qr_fields(made).items():
        setattr(qr_code, name, value)
    qr_code.save()
    if not note and qr_code.payments_count != before[1]:
        note = (f"EnKash counts {qr_code.payments_count} payment(s), {qr_code.amount_received} INR received.")
    if not note and qr_code.status != before[0]:
        note = f"EnKash says {made.raw_status}."
    if note:
        QrCodeEvent.objects.create(qr_code=qr_code, source=actor.source, actor=actor.label[:150], note=note)
    return qr_code


def qr_codes_import(*, connection: ProviderConnection, actor: Actor, name: str = "", status: str = "") -> int:
    """Read EnKash's QR codes (every page) and keep each: codes made outside Paydesk
    appear, known ones get their payments and status. Returns how many were read."""
    client = client_for(connection)
    wanted = {"active": "ACTIVE", "cancelled": "CANCELLED"}.get(status)
    known = {q.external_id: q for q in QrCode.objects.filter(connection=connection)}
    seen = 0
    for page_number in range(MAX_PAGES):
        page = client.search_qr_codes(offset=page_number * PROVIDER_PAGE_LIMIT, limit=PROVIDER_PAGE_LIMIT,
                                      name=(name or "").strip() or None, status=wanted)
        for made in page.qr_codes:
            if made.qr_code_id in known:
                _qr_update(known[made.qr_code_id], made, actor=actor)
            else:
                _qr_store(connection, made, actor=actor)
            seen += 1
        if not page.qr_codes or page.offset + len(page.qr_codes) >= page.total_count:
            break
    return seen
