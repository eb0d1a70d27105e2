"""Vospay installment orders: create (no call to Vospay), cancel before checkout, the
hooks the customer's checkout (issue 10) calls, and the status check by
verify-transaction.

Policy that is not obvious:
- Creating an order sends nothing: Vospay's authorize-transaction needs the customer's
  session, so the order waits in Paydesk for its customer, who gets the checkout link.
  It is not due for the status sync (``next_sync_at`` None) until Vospay knows a
  transaction for it.
- The gross amount is computed here from the items and the four costs, in whole rupiah
  (IDR has no minor unit in Paydesk, ``providers.base.money``); a gross amount sent by
  the caller is only checked against it, never trusted.
- The contract status is trusted only from Vospay: the finalized hook and the sync ask
  verify-transaction ("Valid": finalized with this order ID and gross amount). A
  "Valid" proves the contract exists; its status word comes from the finalize (Pending)
  and from the notify, which the callback applier confirms the same way.
- A verify that says "Invalid" never fails an order: the customer may authorize again
  and finalize later. It resolves an ``unknown`` finalize to pending (nothing moved).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from payments.models import Kind, Status, Transaction, VospayOrder, VospayOrderItem
from payments.services.common import Actor, checked_amount
from payments.transitions import transaction_note, transaction_record_created, transition_apply
from providers.base.errors import ProviderError, ProviderOutcomeUnknown
from providers.base.money import Money
from providers.models import ProviderConnection
from providers.services import client_for
from providers.vospay.types import InstallmentPlan

logger = logging.getLogger("payments.vospay")

CURRENCY = "IDR"
MAX_ITEMS = 50
MAX_QUANTITY = 9999
MAX_GROSS = Decimal("1000000000")  # 1 billion rupiah: beyond any consumer credit line
COST_FIELDS = ("shipping_cost", "insurance_cost", "processing_fee", "tax")
FIRST_SYNC_DELAY = timedelta(seconds=30)
# A checkout link works this long after the order was made; then the merchant makes a new one.
CHECKOUT_LINK_DAYS = 14


class CheckoutRefused(Exception):
    """Paydesk refuses a checkout step before any call to Vospay. ``code``: cancelled,
    paid, in_progress, closed, expired, changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ItemInput:
    name: str
    quantity: object
    unit_price: object


def vospay_checkout_url(order: Transaction) -> str:
    """The link the merchant sends to its customer, on Paydesk's public address (the one
    providers call back too), never the address a merchant's request happened to use."""
    from django.conf import settings
    from django.urls import reverse

    path = reverse("checkout:order", kwargs={"merchant_slug": order.merchant.slug,
                                             "token": order.vospay_order.checkout_token})
    return settings.PAYDESK_PUBLIC_URL.rstrip("/") + path


def vospay_notify_url(connection: ProviderConnection) -> str:
    """The ``notifyEndpoint`` the checkout gives finalize-transaction: this connection's
    callback URL, where the notify is stored and then confirmed by verify-transaction."""
    from django.conf import settings

    return settings.PAYDESK_PUBLIC_URL.rstrip("/") + connection.callback_path()


def merchant_key_of(connection: ProviderConnection) -> str:
    return (connection.credentials.get("merchant_key") or "").strip()


def vospay_order_validate(
    *, connection: ProviderConnection, items: list, shipping_cost: object = "0", insurance_cost: object = "0",
    processing_fee: object = "0", tax: object = "0", gross_amount: object = None, description: str = "",
    customer_name: str = "", customer_phone: str = "",
) -> dict:
    """The order as it would be stored, normalised, or ValidationError by field
    (``items.<n>.<field>`` for a line). Sends nothing."""
    errors: dict[str, str] = {}
    if connection.provider != "vospay":
        errors["connection"] = "Installment orders go through Vospay."
    elif not merchant_key_of(connection):
        errors["connection"] = "This Vospay connection has no merchant key: add it in Settings → Connections."
    lines = _checked_items(items, errors)
    costs = {name: _checked_cost(value, name, errors) for name, value in (
        ("shipping_cost", shipping_cost), ("insurance_cost", insurance_cost),
        ("processing_fee", processing_fee), ("tax", tax))}
    gross = None
    if lines and not any(k.startswith("items") for k in errors) and None not in costs.values():
        gross = sum((q * p for _, q, p in lines), Decimal(0)) + sum(costs.values(), Decimal(0))
        _check_gross(gross, gross_amount, errors)
    if len(description or "") > 200:
        errors["description"] = "Keep the description under 200 characters."
    if len(customer_name or "") > 200:
        errors["customer_name"] = "Keep the name under 200 characters."
    phone = "".join(ch for ch in (customer_phone or "") if ch.isdigit() or ch == "+")
    if customer_phone and not (8 <= len(phone.lstrip("+")) <= 15):
        errors["customer_phone"] = "Enter the customer's phone as digits, e.g. 08110000002 or +62 811 0000 002."
    if errors:
        raise ValidationError(errors)
    return {"items": lines, **costs, "gross": gross, "description": (description or "").strip(),
            "customer_name": (customer_name or "").strip(), "customer_phone": phone}


def _field(item, name: str):
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _checked_items(items, errors: dict) -> list[tuple[str, int, Decimal]]:
    if not isinstance(items, list | tuple) or not items:
        errors["items"] = "Add at least one item."
        return []
    if len(items) > MAX_ITEMS:
        errors["items"] = f"An order has at most {MAX_ITEMS} items."
        return []
    lines = []
    for n, item in enumerate(items):
        name = str(_field(item, "name") or "").strip()
        if not name:
            errors[f"items.{n}.name"] = "Name the item."
        elif len(name) > 100:
            errors[f"items.{n}.name"] = "Keep the item name under 100 characters."
        quantity = _checked_quantity(_field(item, "quantity"), n, errors)
        try:
            price = checked_amount(_field(item, "unit_price"), field=f"items.{n}.unit_price", places=0,
                                   currency=CURRENCY)
        except ValidationError as e:
            errors.update({k: _whole_rupiah(v[0]) for k, v in e.message_dict.items()})
            price = None
        if name and quantity and price is not None:
            lines.append((name, quantity, price))
    return lines


def _whole_rupiah(message: str) -> str:
    if "decimal places" in message or "such as" in message:
        return "Enter whole rupiah, such as 150000 (IDR has no cents)."
    return message


def _checked_quantity(value, n: int, errors: dict) -> int | None:
    text = str(value if value is not None else "").strip()
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= MAX_QUANTITY:
        errors[f"items.{n}.quantity"] = f"Enter a whole number of pieces from 1 to {MAX_QUANTITY}."
        return None
    return int(text)


def _checked_cost(value, name: str, errors: dict) -> Decimal | None:
    if value in (None, "") or (isinstance(value, str) and value.strip() in ("", "0")):
        return Decimal(0)
    try:
        return checked_amount(value, field=name, places=0, currency=CURRENCY)
    except ValidationError as e:
        message = e.message_dict[name][0]
        errors[name] = "Enter 0 or more whole rupiah." if "more than zero" in message else _whole_rupiah(message)
        return None


def _check_gross(gross: Decimal, stated, errors: dict) -> None:
    if gross > MAX_GROSS:
        errors["items"] = f"The order adds up to {gross:,.0f} IDR, above the {MAX_GROSS:,.0f} IDR Paydesk accepts."
        return
    if stated in (None, ""):
        return
    try:
        value = checked_amount(stated, field="gross_amount", places=0, currency=CURRENCY)
    except ValidationError:
        errors["gross_amount"] = "Enter the gross amount in whole rupiah, or leave it out."
        return
    if value != gross:
        errors["gross_amount"] = (f"The items and costs add up to {gross:,.0f} IDR, not {value:,.0f} IDR. "
                                  "Check the amounts.")


def vospay_order_create(*, connection: ProviderConnection, actor: Actor, on_created=None, **fields) -> Transaction:
    """Validate and record an order with its checkout link. Calls nobody: the customer's
    checkout is what reaches Vospay. ``on_created(tx)`` runs inside the same database
    transaction (an idempotency key links itself there)."""
    clean = vospay_order_validate(connection=connection, **fields)
    with transaction.atomic():
        order = Transaction.objects.create(
            merchant_id=connection.merchant_id, connection=connection, provider="vospay", kind=Kind.ORDER,
            amount=clean["gross"], currency=CURRENCY, description=clean["description"],
            created_by=actor.user_or_none,
        )
        detail = VospayOrder.objects.create(
            transaction=order, merchant_key=merchant_key_of(connection), customer_name=clean["customer_name"],
            customer_phone=clean["customer_phone"], **{name: clean[name] for name in COST_FIELDS},
        )
        VospayOrderItem.objects.bulk_create([
            VospayOrderItem(order=detail, position=n, name=name, quantity=quantity, unit_price=price)
            for n, (name, quantity, price) in enumerate(clean["items"])
        ])
        transaction_record_created(transaction=order, source=actor.source, actor=actor.label,
                                   note="Installment order created; the checkout link is ready to send.")
        if on_created is not None:
            on_created(order)
    return order


def vospay_order_cancel_reason(order: Transaction) -> str:
    """Why this order may not be cancelled from Paydesk, or '' when it may."""
    if order.status != Status.PENDING:
        return f"The order is {order.get_status_display().lower()}."
    if order.external_id:
        return "The customer has started the checkout at Vospay; only Vospay can cancel it now."
    return ""


def vospay_order_cancel(*, order: Transaction, actor: Actor) -> Transaction:
    """Cancel an order its customer has not taken to Vospay yet (the link stops working)."""
    _require_order(order)
    with transaction.atomic():
        locked = Transaction.objects.select_for_update().get(pk=order.pk)
        reason = vospay_order_cancel_reason(locked)
        if reason:
            raise ValidationError(f"This order cannot be cancelled: {reason}")
        transition_apply(transaction=locked, to_status=Status.CANCELLED, source=actor.source, actor=actor.label,
                         note="Cancelled before checkout; the checkout link no longer works.",
                         fields={"next_sync_at": None})
    order.refresh_from_db()
    return order


def vospay_order_authorized(*, order: Transaction, transaction_id: str, actor: Actor) -> Transaction:
    """Issue 10 calls this after authorize-transaction: Vospay's transaction ID is what
    its notify and verify name, so the order keeps it (the latest, if the customer
    authorized again) and becomes due for the sync."""
    _require_order(order)
    transition_apply(
        transaction=order, to_status=order.status, source=actor.source, actor=actor.label,
        fields={"external_id": transaction_id, "next_sync_at": timezone.now() + FIRST_SYNC_DELAY},
    )
    transaction_note(transaction=order, source=actor.source, actor=actor.label,
                     note=f"The customer authorized the order at Vospay (transaction {transaction_id}).")
    return order


def vospay_order_finalized(
    *, order: Transaction, transaction_id: str, plan: InstallmentPlan, actor: Actor,
    installment_id: str | None = None, contract_number: str = "",
) -> Transaction:
    """Issue 10 calls this once finalize-transaction answered Success: record the plan,
    then ask verify-transaction before anything shows as a contract. A verify that
    cannot be made now leaves the order due for the sync, which asks again. Called again
    for the same transaction (a retried checkout step), it only verifies again.

    The checkout must not finalize an order that is no longer pending (check it under
    ``select_for_update`` first); if Vospay finalized one anyway (a cancel that raced the
    customer), the contract is recorded and the order flagged for a person."""
    _require_order(order)
    if installment_id is not None and str(installment_id) != plan.installment_id:
        raise ValueError("installment_id and plan disagree")
    order.refresh_from_db()
    detail = VospayOrder.objects.get(transaction=order)
    if detail.finalized_at is not None and order.external_id == transaction_id:
        return _verify_or_wait(order, actor)
    now = timezone.now()
    VospayOrder.objects.filter(pk=detail.pk).update(
        installment_id=plan.installment_id, period=plan.period, monthly_payment=plan.monthly_payment.amount,
        interest_rate=plan.rate, finalized_at=now, **({"contract_number": contract_number} if contract_number else {}),
    )
    fields = {"external_id": transaction_id, "next_sync_at": None if order.is_final else now + FIRST_SYNC_DELAY}
    if order.is_final:
        fields |= {"needs_attention_since": now, "attention_reason": (
            f"The customer finalized at Vospay although the order is {order.status} in Paydesk: "
            "check the contract with Vospay.")}
    transition_apply(transaction=order, to_status=order.status, source=actor.source, actor=actor.label, fields=fields)
    transaction_note(
        transaction=order, source=actor.source, actor=actor.label,
        note=f"The customer finalized: {plan.period} months at {plan.monthly_payment.amount:,.2f} IDR a month "
             f"(plan {plan.installment_id}). Verifying with Vospay.",
    )
    if order.is_final:
        transaction_note(transaction=order, source="system", actor="Paydesk",
                         note=f"Needs attention: {fields['attention_reason']}")
    return _verify_or_wait(order, actor)


def _verify_or_wait(order: Transaction, actor: Actor) -> Transaction:
    try:
        return vospay_order_verify(order=order, actor=actor)
    except ProviderError as e:
        transaction_note(transaction=order, source=actor.source, actor=actor.label,
                         note=f"Vospay could not verify it yet ({e.message}); Paydesk will ask again.")
        order.refresh_from_db()
        return order


def vospay_order_verify(*, order: Transaction, actor: Actor) -> Transaction:
    """Ask verify-transaction about the order's Vospay transaction and record what it
    proves. Raises ProviderError when Vospay could not be asked (the sync backs off)."""
    _require_order(order)
    order.refresh_from_db()
    if not order.external_id:
        raise ValueError("the customer has not reached Vospay yet: nothing to verify")
    detail = VospayOrder.objects.get(transaction=order)
    try:
        found = client_for(order.connection).verify_transaction(
            transaction_id=order.external_id, order_id=order.reference,
            gross_amount=Money(order.amount, CURRENCY),
        )
    except ProviderError as e:
        _bump_sync(order, note=e.message)
        raise
    if found.valid:
        return _verified(order, detail, found.processed_at, actor)
    return _not_verified(order, detail, actor)


def _verified(order: Transaction, detail: VospayOrder, processed_at, actor: Actor) -> Transaction:
    first = detail.verified_at is None
    if first:
        VospayOrder.objects.filter(pk=detail.pk).update(
            verified_at=timezone.now(), finalized_at=detail.finalized_at or processed_at or timezone.now(),
        )
    contract = detail.contract_status or "Pending"  # finalize opens the contract as Pending
    to_status = order.status if order.status != Status.UNKNOWN else _normalised(contract)
    fields = _sync_fields(order, final=order.is_final)
    if order.status == Status.CANCELLED:  # finalized after a cancel: the flag stays for a person
        fields.pop("needs_attention_since", None)
        fields.pop("attention_reason", None)
    result = transition_apply(
        transaction=order, to_status=to_status, source=actor.source, actor=actor.label, raw_status=contract,
        from_provider=True, fields=fields,
        note="Vospay verified the finalized transaction.",
    )
    if first and not result.changed:
        transaction_note(transaction=order, source=actor.source, actor=actor.label, raw_status=contract,
                         note=f"Vospay verified the transaction: the contract exists ({contract}).")
    order.refresh_from_db()
    return order


def finalize_settled_after() -> timedelta:
    """How long after a finalize was sent an "Invalid" from verify proves it never landed:
    past every connect and read timeout the call could still be waiting in (the retries
    of a money-moving call are none), with a margin; never less than the first sync's delay."""
    timeouts = timedelta(seconds=settings.PROVIDER_CONNECT_TIMEOUT + settings.PROVIDER_READ_TIMEOUT)
    return max(FIRST_SYNC_DELAY, timeouts + timedelta(seconds=10))


def _finalize_may_be_in_flight(detail: VospayOrder) -> bool:
    sent = detail.finalize_sent_at
    return sent is not None and sent >= timezone.now() - finalize_settled_after()


def _not_verified(order: Transaction, detail: VospayOrder, actor: Actor) -> Transaction:
    if order.status == Status.UNKNOWN and _finalize_may_be_in_flight(detail):
        # A lost answer moments ago (the merchant's Verify, a "sync now"): "Invalid" may be
        # a finalize still on its way. The order stays unknown and is asked again later.
        Transaction.objects.filter(pk=order.pk).update(**_sync_fields(order, final=False))
    elif order.status == Status.UNKNOWN:
        # Nothing moved: the customer may check out again (a new finalize may go out).
        VospayOrder.objects.filter(pk=detail.pk).update(finalize_sent_at=None)
        transition_apply(
            transaction=order, to_status=Status.PENDING, source=actor.source, actor=actor.label,
            raw_status="Invalid", from_provider=True, fields=_sync_fields(order, final=False),
            note="Vospay does not know a finalized purchase for this order: nothing moved. "
                 "The customer can check out again.",
        )
    else:
        sent = detail.finalize_sent_at
        if sent is not None and not _finalize_may_be_in_flight(detail):
            # A checkout marked a finalize and never heard back (it died before or while
            # sending). Longer ago than any read timeout and still Invalid: nothing moved.
            VospayOrder.objects.filter(pk=detail.pk, finalize_sent_at=sent).update(finalize_sent_at=None)
        first = order.sync_attempts == 0 or actor.source != Actor.sync().source
        Transaction.objects.filter(pk=order.pk).update(**_sync_fields(order, final=False))
        if first:
            said = " although it was verified before" if detail.verified_at else ""
            transaction_note(transaction=order, source=actor.source, actor=actor.label, raw_status="Invalid",
                             note=f"Vospay does not verify a finalized purchase for this order yet{said}.")
    order.refresh_from_db()
    return order


def _normalised(contract: str) -> str:
    from providers.vospay.client import CONTRACT_STATUSES

    return CONTRACT_STATUSES.get(contract, Status.PENDING)


def _sync_fields(order: Transaction, *, final: bool) -> dict:
    fields = {"sync_attempts": order.sync_attempts + 1, "next_sync_at": None if final else _backoff(order)}
    if final:
        fields.update(needs_attention_since=None, attention_reason="")
    return fields


def _bump_sync(order: Transaction, *, note: str) -> None:
    Transaction.objects.filter(pk=order.pk).update(
        sync_attempts=order.sync_attempts + 1, next_sync_at=_backoff(order), last_error=note[:2000]
    )


def _backoff(order: Transaction):
    """30 s, 1, 2, 4... minutes, capped at an hour (as payouts)."""
    return timezone.now() + timedelta(seconds=min(3600, 30 * (2 ** min(order.sync_attempts, 7))))


def _require_order(order: Transaction) -> None:
    if order.kind != Kind.ORDER or order.provider != "vospay":
        raise ValueError("not a Vospay order")


# -- the customer's checkout (payments/checkout/) ---------------------------------------------
def vospay_checkout_expires_at(order: Transaction):
    return order.created_at + timedelta(days=CHECKOUT_LINK_DAYS)


def vospay_checkout_refusal(order: Transaction, detail: VospayOrder, *, now=None) -> CheckoutRefused | None:
    """Why this order cannot be paid now (None: it can). Checked at every checkout step,
    and under a row lock right before finalize."""
    merchant = order.merchant.name
    if order.status == Status.CANCELLED:
        return CheckoutRefused("cancelled", f"{merchant} cancelled this order. Nothing will be charged.")
    if detail.finalized_at is not None or detail.contract_status:
        return CheckoutRefused("paid", "This order is already paid in installments. It cannot be paid twice.")
    if order.status == Status.UNKNOWN or detail.finalize_sent_at is not None:
        return CheckoutRefused("in_progress", "This order is being paid right now (perhaps in another window). "
                                              "Paydesk is checking with Vospay; it cannot be paid twice.")
    if order.status != Status.PENDING:
        return CheckoutRefused("closed", f"This order is {order.get_status_display().lower()}: it cannot be paid.")
    expires = vospay_checkout_expires_at(order)
    if (now or timezone.now()) >= expires:
        return CheckoutRefused("expired", f"This checkout link expired on {expires:%d %b %Y}. "
                                          f"Ask {merchant} for a new one. Nothing was charged.")
    return None


def vospay_order_finalize(
    *, order: Transaction, transaction_id: str, plan: InstallmentPlan, gross: Money, confirmation: str,
    actor: Actor,
) -> Transaction:
    """Send finalize-transaction for the customer's chosen plan, once.

    Under ``select_for_update`` on the order: refused (CheckoutRefused) before any call
    when the order cannot be paid, when ``transaction_id`` is not the one the order was
    authorized with, or when ``gross`` (what the customer saw and confirmed with the OTP)
    is not the order's amount. Then ``finalize_sent_at`` is committed and the call goes
    out, never re-sent:

    - Success: ``vospay_order_finalized`` records the plan and verifies;
    - a refusal (locked, limited, a plan or session refused, Vospay unavailable before
      acting): nothing moved, the mark is cleared, the error is raised;
    - a lost answer: the order becomes ``unknown`` and verify-transaction decides now
      (Valid: recorded as finalized) or later (the sync), never a second finalize.
    """
    _require_order(order)
    with transaction.atomic():
        locked = Transaction.objects.select_for_update().select_related("merchant").get(pk=order.pk)
        detail = VospayOrder.objects.select_for_update().get(transaction=locked)
        now = timezone.now()  # after the locks: the mark says when the finalize went out
        refusal = vospay_checkout_refusal(locked, detail, now=now)
        if refusal is not None:
            raise refusal
        if gross.currency != CURRENCY or gross.amount != locked.amount or locked.external_id != transaction_id:
            raise CheckoutRefused("changed", "This order changed since you chose your plan. "
                                             "Start the checkout again; nothing was charged.")
        VospayOrder.objects.filter(pk=detail.pk).update(finalize_sent_at=now)
        transaction_note(transaction=locked, source=actor.source, actor=actor.label,
                         note=f"The customer confirmed {plan.period} months (plan {plan.installment_id}); "
                              "finalize sent to Vospay.")
    vospay = client_for(locked.connection)
    try:
        vospay.finalize_transaction(access_token=confirmation, transaction_id=transaction_id,
                                    installment_id=plan.installment_id, notify_url=vospay_notify_url(locked.connection))
    except ProviderOutcomeUnknown as e:
        return _finalize_unknown(locked, transaction_id, plan, actor, e)
    except ProviderError as e:
        VospayOrder.objects.filter(pk=detail.pk).update(finalize_sent_at=None)
        transaction_note(transaction=locked, source=actor.source, actor=actor.label,
                         note=f"Vospay refused the finalize ({e.message}). Nothing moved.")
        raise
    return vospay_order_finalized(order=locked, transaction_id=transaction_id, plan=plan, actor=actor)


def _finalize_unknown(order: Transaction, transaction_id: str, plan: InstallmentPlan, actor: Actor,
                      error: ProviderOutcomeUnknown) -> Transaction:
    transition_apply(
        transaction=order, to_status=Status.UNKNOWN, source=actor.source, actor=actor.label,
        note=f"Vospay's answer to the finalize was lost ({error.message}). It is never sent again: "
             "verify-transaction decides.",
        # The id the finalize went out with: what verify must ask about (another tab may
        # have authorized a new one since).
        fields={"next_sync_at": timezone.now() + finalize_settled_after(), "last_error": error.message[:2000],
                "external_id": transaction_id},
    )
    try:
        found = client_for(order.connection).verify_transaction(
            transaction_id=transaction_id, order_id=order.reference, gross_amount=Money(order.amount, CURRENCY))
    except ProviderError:
        order.refresh_from_db()
        return order
    if found.valid:
        return vospay_order_finalized(order=order, transaction_id=transaction_id, plan=plan, actor=actor)
    # "Invalid" right after a lost answer may be a finalize still on its way: the sync asks
    # again after finalize_settled_after() and only then says pending.
    order.refresh_from_db()
    return order
