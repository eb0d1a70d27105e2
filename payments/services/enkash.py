"""EnKash (India, INR): orders, the payments made on them, and refunds of those payments.

Policy that is not obvious:
- Every row is committed *before* EnKash is called (the callers run outside a request
  transaction): an order, a submitted payment or a refund whose answer is lost is a row
  to resolve, never something Paydesk does not know about.
- An order's ``orderId`` is its Paydesk reference without the dash (EnKash takes letters
  and digits only), known before the call: an order whose create answer was lost is
  asked about by that id; EnKash answering "no such order" then proves it was never
  made (failed), and nothing is created twice.
- Submitting a payment (UPI collect, net banking: card details are never entered on the
  merchant desk) moves money and has no idempotency key: it is sent once. A lost answer
  makes the payment ``unknown``; the sync finds it among the order's attempts
  (``order_status`` lists every one) and never submits again.
- A refund has its own ``requestId``, stored with it before it is sent. EnKash answers a
  repeat of that id with the refund already made, so the sync resolves an unknown refund
  by asking ``transaction_status`` and, when the refund is not listed, by sending the
  *same* requestId again. A new requestId would be a second refund: never made here.
- How much is left to refund is ``refunds.refundable_amount``: the captured amount less
  every refund that holds (or may hold) its share, checked under a lock on the payment
  row, so two concurrent refunds can never together pass the captured amount.
- Payments EnKash reports on an order (paid on its checkout page, by UPI intent or the
  QR code) are recorded when the order's status is read: kind payment, parent the order.
  Attempts that never started (a UPI link opened and not paid) are not recorded.
"""

from __future__ import annotations

import hashlib
import logging
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import (
    EnKashOrderDetail,
    EnKashPaymentDetail,
    EnKashRefundDetail,
    Kind,
    Status,
    Transaction,
    new_reference,
)
from payments.services.common import Actor, checked_amount
from payments.services.payouts import FIRST_SYNC_DELAY, sync_fields
from payments.services.refunds import refundable_amount, refunder
from payments.transitions import FINAL, transaction_note, transaction_record_created, transition_apply
from providers.base.errors import ProviderError, ProviderOutcomeUnknown, ProviderRejected, ProviderUnavailable
from providers.crypto import DecryptionError
from providers.enkash.types import CustomerInfo
from providers.models import ProviderConnection
from providers.services import client_for

logger = logging.getLogger("payments.enkash")

PROVIDER, CURRENCY = "enkash", "INR"
MAX_ORDER_AMOUNT = Decimal("500000.00")
# The payment modes the merchant desk may submit; card modes are entered by the payer
# on EnKash's checkout page only.
DESK_MODES = {"UPI": "UPI collect (VPA)", "NET_BANKING": "Net banking"}
# EnKash attempts Paydesk does not record when it first sees them: a UPI link or QR
# opened and not paid, or closed unused once the order was paid.
NOT_STARTED = ("CREATED", "CANCELLED")
UPI_APP_SCHEMES = {"upi", "tez", "phonepe", "paytmmp", "gpay"}
_MOBILE = re.compile(r"^(?:\+91)?([6-9]\d{9})$")
_VPA = re.compile(r"^[A-Za-z0-9._-]{2,256}@[A-Za-z]{2,64}$")
_BANK = re.compile(r"^[A-Z]{4}$")
_IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_ACCOUNT = re.compile(r"^\d{9,18}$")


def order_id_for(reference: str) -> str:
    return reference.replace("-", "")


def notify_url(connection: ProviderConnection) -> str:
    """Paydesk's own callback URL for the connection: EnKash notifies it of every payment."""
    return settings.PAYDESK_PUBLIC_URL.rstrip("/") + connection.callback_path()


# -- orders ----------------------------------------------------------------------------------
def order_validate(*, connection: ProviderConnection, amount: object, customer_first_name: str,
                   return_url: str, customer_last_name: str = "", customer_email: str = "",
                   customer_phone: str = "", description: str = "") -> dict:
    """The order as it would be sent, normalised, or ValidationError by field. Sends nothing."""
    errors: dict[str, str] = {}
    if connection.provider != PROVIDER:
        errors["connection"] = "Orders in INR go through an EnKash connection."
    if not (customer_first_name or "").strip():
        errors["customer_first_name"] = "Enter the customer's first name."
    email = (customer_email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["customer_email"] = "Enter a valid email address."
    phone = "".join((customer_phone or "").split())
    if phone:
        match = _MOBILE.match(phone)
        if match is None:
            errors["customer_phone"] = "Enter a 10-digit Indian mobile number, e.g. 9876543210."
        else:
            phone = match.group(1)
    url = (return_url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["return_url"] = "Enter the http(s) address the customer returns to after paying."
    value = _amount(amount, errors, maximum=MAX_ORDER_AMOUNT, too_much="EnKash takes orders up to 500000.00 INR.")
    if len(description or "") > 200:
        errors["description"] = "Keep the description under 200 characters."
    if errors:
        raise ValidationError(errors)
    return {"amount": value, "customer_first_name": customer_first_name.strip(),
            "customer_last_name": (customer_last_name or "").strip(), "customer_email": email,
            "customer_phone": phone, "return_url": url, "description": (description or "").strip()}


def _amount(value: object, errors: dict, *, maximum: Decimal, too_much: str) -> Decimal | None:
    try:
        amount = checked_amount(value, currency=CURRENCY)
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
        return None
    if amount > maximum:
        errors["amount"] = too_much
        return None
    return amount


def order_create(*, connection: ProviderConnection, actor: Actor, on_created=None, **fields) -> Transaction:
    """Validate, record the order, create it at EnKash once, record what came back.
    ``on_created(tx)`` runs right after the row is committed (an idempotency key links
    itself there)."""
    clean = order_validate(connection=connection, **fields)
    reference = new_reference()
    with transaction.atomic():
        order = Transaction.objects.create(
            merchant_id=connection.merchant_id, connection=connection, provider=PROVIDER, kind=Kind.ORDER,
            reference=reference, external_id=order_id_for(reference), amount=clean["amount"], currency=CURRENCY,
            description=clean["description"], created_by=actor.user_or_none,
            next_sync_at=timezone.now() + FIRST_SYNC_DELAY,
        )
        EnKashOrderDetail.objects.create(
            transaction=order, order_id=order.external_id, return_url=clean["return_url"],
            **{k: clean[k] for k in ("customer_first_name", "customer_last_name", "customer_email",
                                     "customer_phone")},
        )
        transaction_record_created(transaction=order, source=actor.source, actor=actor.label,
                                   note=f"Order recorded as {order.external_id}; creating it at EnKash.")
        if on_created is not None:
            on_created(order)
    return _order_send(order, clean, actor)


def _order_send(order: Transaction, clean: dict, actor: Actor) -> Transaction:
    customer = CustomerInfo(first_name=clean["customer_first_name"], last_name=clean["customer_last_name"],
                            email=clean["customer_email"] or None, phone_number=clean["customer_phone"] or None)
    try:
        result = client_for(order.connection).create_order(
            order_id=order.external_id, amount=clean["amount"], return_url=clean["return_url"],
            notify_url=notify_url(order.connection), customer=customer, description=clean["description"] or None,
        )
    except (ProviderUnavailable, ProviderOutcomeUnknown) as e:
        # EnKash may have made it: ask by its id (the sync), never create it again.
        transition_apply(transaction=order, to_status=Status.UNKNOWN, source=actor.source, actor=actor.label,
                         note=f"{e.message} Paydesk asks EnKash about order {order.external_id}.",
                         fields={"next_sync_at": timezone.now() + FIRST_SYNC_DELAY})
        return order
    except (ProviderError, DecryptionError) as e:
        message = getattr(e, "message", str(e))
        transition_apply(transaction=order, to_status=Status.FAILED, source=actor.source, actor=actor.label,
                         note=message, raw_status=str(getattr(e, "code", "credentials_unreadable")),
                         from_provider=True, fields={"last_error": message, "next_sync_at": None})
        if isinstance(e, ProviderError):
            order.provider_error = e  # for the API's answer; not stored
        return order
    _order_details_update(order, result)
    named = f" ({result.enkash_order_id})" if result.enkash_order_id else ""
    transaction_note(transaction=order, source=actor.source, actor=actor.label, raw_status=result.raw_status,
                     note=f"EnKash created the order{named}.")
    if result.status not in (Status.PENDING, "unknown"):
        _order_status_apply(order, result, actor)
    else:
        Transaction.objects.filter(pk=order.pk).update(raw_status=result.raw_status[:60])
        order.refresh_from_db()
    return order


def _order_details_update(order: Transaction, found) -> None:
    checkout = found.checkout_url if (found.checkout_url or "").startswith(("https://", "http://")) else None
    changes = {"enkash_order_id": found.enkash_order_id, "checkout_url": checkout, "expires_at": found.expires_at}
    changes = {k: v for k, v in changes.items() if v}
    if changes:
        EnKashOrderDetail.objects.filter(transaction=order).update(**changes)


def order_check_status(*, order: Transaction, actor: Actor) -> Transaction:
    """Ask EnKash about an order (``order_status``) and record it, with every payment
    attempt it lists. Never creates or pays anything."""
    _require(order, Kind.ORDER)
    try:
        found = client_for(order.connection).order_status(order_id=order.external_id)
    except ProviderRejected as e:
        if e.code == "order_not_found" and order.status == Status.UNKNOWN:
            # The create answer was lost and EnKash has no such order: it never made it.
            transition_apply(transaction=order, to_status=Status.FAILED, source=actor.source, actor=actor.label,
                             raw_status="order_not_found", from_provider=True,
                             note="EnKash has no such order: the create never reached it. Create a new order.",
                             fields={"last_error": e.message, **sync_fields(order, final=True)})
            return order
        _bump(order, e.message)
        raise
    except ProviderError as e:
        _bump(order, e.message)
        raise
    order_apply(order=order, found=found, actor=actor)
    return order


def order_apply(*, order: Transaction, found, actor: Actor) -> Transaction:
    """Record an ``order_status`` answer: the order's details, its payments, its status."""
    _order_details_update(order, found)
    _lost_attempts_claim(order, found)
    for payment in found.payments:
        payment_record(order=order, found=payment, actor=actor)
    _order_status_apply(order, found, actor)
    return order


def _order_status_apply(order: Transaction, found, actor: Actor) -> None:
    if found.status == "unknown":
        _bump(order, "")
        transaction_note(transaction=order, source=actor.source, actor=actor.label, raw_status=found.raw_status,
                         note=f"EnKash answered a status Paydesk does not know ({found.raw_status!r}); asking again.")
        order.refresh_from_db()
        return
    transition_apply(
        transaction=order, to_status=found.status, source=actor.source, actor=actor.label,
        raw_status=found.raw_status, from_provider=True, note=f"EnKash says {found.raw_status or found.status}.",
        fields=sync_fields(order, final=found.status in FINAL),
    )


# -- payments --------------------------------------------------------------------------------
def payment_record(*, order: Transaction, found, actor: Actor) -> Transaction | None:
    """The order's payment ``found`` (an EnKash ``Payment``): recorded the first time it is
    seen (unless it never started), brought up to date afterwards."""
    existing = Transaction.objects.filter(parent=order, kind=Kind.PAYMENT, external_id=found.transaction_id).first()
    if existing is not None:
        return payment_apply(payment=existing, found=found, actor=actor)
    if (found.raw_status or "").upper() in NOT_STARTED:
        return None
    status = found.status if found.status in Status.values and found.status != Status.UNKNOWN else Status.PENDING
    with transaction.atomic():
        payment = Transaction.objects.create(
            merchant_id=order.merchant_id, connection_id=order.connection_id, provider=PROVIDER, kind=Kind.PAYMENT,
            parent=order, external_id=found.transaction_id,
            amount=found.amount.amount if found.amount else order.amount, currency=CURRENCY,
            status=status, raw_status=(found.raw_status or "")[:60],
            next_sync_at=None if status in FINAL else timezone.now() + FIRST_SYNC_DELAY,
        )
        EnKashPaymentDetail.objects.create(transaction=payment, **_payment_details(found))
        mode = (found.payment_mode or "").replace("_", " ").lower() or "a"
        transaction_record_created(transaction=payment, source=actor.source, actor=actor.label,
                                   note=f"EnKash reported this {mode} payment on order {order.external_id}.")
    for refund in found.refunds:
        refund_record(payment=payment, found=refund, actor=actor)
    return payment


def _lost_attempt_candidates(payment: Transaction, found_order) -> list:
    """The attempts of ``found_order`` that may be ``payment`` (whose submit answer was
    lost): not recorded yet, in the same mode, started after this row was made."""
    known = set(Transaction.objects.filter(parent_id=payment.parent_id, kind=Kind.PAYMENT)
                .values_list("external_id", flat=True))
    mode = getattr(getattr(payment, "enkash_payment", None), "payment_mode", "")
    return [p for p in found_order.payments if p.transaction_id not in known
            and (p.raw_status or "").upper() != "CREATED" and (not mode or p.payment_mode == mode)
            and (p.created_at is None or p.created_at >= payment.created_at - FIRST_SYNC_DELAY)]


def _lost_attempts_claim(order: Transaction, found) -> None:
    """Before an ``order_status`` answer's attempts are recorded as new payments, each
    payment of the order whose submit answer was lost takes its own attempt (when exactly
    one fits): one attempt, one row, never a second record of the same money."""
    lost = Transaction.objects.filter(parent=order, kind=Kind.PAYMENT, external_id="").exclude(status__in=FINAL)
    for payment in lost.order_by("created_at", "id"):
        candidates = _lost_attempt_candidates(payment, found)
        if len(candidates) == 1:
            Transaction.objects.filter(pk=payment.pk, external_id="").update(
                external_id=candidates[0].transaction_id)


def _payment_details(found) -> dict:
    details = {"payment_mode": found.payment_mode, "masked_card": found.masked_card,
               "bank_reference": found.bank_reference, "failure_reason": (found.failure_reason or "")[:300]}
    return {k: v for k, v in details.items() if v}


def payment_apply(*, payment: Transaction, found, actor: Actor) -> Transaction:
    """Record an EnKash answer about ``payment``: details, status, and its refunds."""
    details = _payment_details(found)
    if details:
        EnKashPaymentDetail.objects.update_or_create(transaction=payment, defaults=details)
    new = found.status
    if new == "unknown":
        _bump(payment, "")
    else:
        if new == Status.REFUNDED and payment.status == Status.PENDING:
            # Paid, then refunded in full before Paydesk looked: it succeeded first.
            transition_apply(transaction=payment, to_status=Status.SUCCEEDED, source=actor.source,
                             actor=actor.label, raw_status="SUCCESS", from_provider=True,
                             note="EnKash took the payment (it has been refunded since).")
        fields = sync_fields(payment, final=new in FINAL)
        if found.failure_reason and new == Status.FAILED:
            fields["last_error"] = found.failure_reason[:2000]
        transition_apply(transaction=payment, to_status=new, source=actor.source, actor=actor.label,
                         raw_status=found.raw_status, from_provider=True, fields=fields,
                         note=_payment_note(found))
    for refund in found.refunds:
        refund_record(payment=payment, found=refund, actor=actor)
    payment.refresh_from_db()
    return payment


def _payment_note(found) -> str:
    text = f"EnKash says {found.raw_status or found.status}"
    if found.failure_reason:
        text += f": {found.failure_reason.rstrip('.')}"
    return text + "."


def payment_check_status(*, payment: Transaction, actor: Actor) -> Transaction:
    """Ask EnKash about a payment (``transaction_status``). One whose submit answer was
    lost has no EnKash id yet: it is looked for among its order's attempts."""
    _require(payment, Kind.PAYMENT)
    client = client_for(payment.connection)
    try:
        if not payment.external_id:
            return _payment_find(client, payment, actor)
        found = client.transaction_status(transaction_id=payment.external_id)
    except ProviderError as e:
        _bump(payment, e.message)
        raise
    return payment_apply(payment=payment, found=found, actor=actor)


def _payment_find(client, payment: Transaction, actor: Actor) -> Transaction:
    """The one attempt of the order in the same mode that Paydesk has not recorded and
    that started after this row was made; anything else (none, two) is no answer."""
    found_order = client.order_status(order_id=payment.parent.external_id)
    candidates = _lost_attempt_candidates(payment, found_order)
    if len(candidates) != 1:
        first = payment.sync_attempts == 0 or actor.source != Actor.sync().source
        _bump(payment, "")
        if first:
            transaction_note(transaction=payment, source=actor.source, actor=actor.label,
                             note="EnKash lists no attempt of the order that is this payment yet; asking again.")
        payment.refresh_from_db()
        return payment
    Transaction.objects.filter(pk=payment.pk).update(external_id=candidates[0].transaction_id)
    payment.refresh_from_db()
    return payment_apply(payment=payment, found=candidates[0], actor=actor)


def payment_validate(*, order: Transaction, payment_mode: str, vpa: str = "", bank_code: str = "",
                     account_number: str = "", ifsc: str = "") -> dict:
    """The payment detail as it would be sent, or ValidationError by field."""
    errors: dict[str, str] = {}
    if order.kind != Kind.ORDER or order.provider != PROVIDER:
        raise ValidationError("Only EnKash orders take a payment detail here.", code="not_payable")
    if order.status != Status.PENDING:
        raise ValidationError(f"This order is {order.get_status_display().lower()}: it cannot be paid now.",
                              code="not_payable")
    mode = (payment_mode or "").strip().upper()
    clean = {"payment_mode": mode}
    if mode not in DESK_MODES:
        errors["payment_mode"] = "Choose UPI collect or net banking (card details are entered by the payer only)."
    elif mode == "UPI":
        vpa = (vpa or "").strip()
        if not _VPA.match(vpa):
            errors["vpa"] = "Enter the customer's UPI id, e.g. name@bank."
        clean["vpa"] = vpa
    else:
        bank = (bank_code or "").strip().upper()
        if not _BANK.match(bank):
            errors["bank_code"] = "Enter the bank's 4-letter code, e.g. SBIN or HDFC."
        clean["bank_code"] = bank
        account, code = "".join((account_number or "").split()), (ifsc or "").strip().upper()
        if account or code:
            if not _ACCOUNT.match(account):
                errors["account_number"] = "The account number is 9 to 18 digits (or leave it and the IFSC empty)."
            if not _IFSC.match(code):
                errors["ifsc"] = "The IFSC is 11 characters, e.g. SBIN0001234."
            clean.update(account_number=account, ifsc=code)
    if errors:
        raise ValidationError(errors)
    return clean


def payment_submit(*, order: Transaction, actor: Actor, on_created=None, **fields) -> Transaction:
    """Submit a UPI-collect or net-banking payment detail for ``order``, once."""
    with transaction.atomic():
        locked = Transaction.objects.select_for_update().get(pk=order.pk)
        clean = payment_validate(order=locked, **fields)
        busy = locked.children.filter(kind=Kind.PAYMENT, status__in=(Status.PENDING, Status.UNKNOWN))
        if busy.exists():
            raise ValidationError("A payment of this order is still being processed: wait for its outcome.",
                                  code="payment_in_progress")
        payment = Transaction.objects.create(
            merchant_id=locked.merchant_id, connection_id=locked.connection_id, provider=PROVIDER,
            kind=Kind.PAYMENT, parent=locked, amount=locked.amount, currency=CURRENCY,
            created_by=actor.user_or_none, next_sync_at=timezone.now() + FIRST_SYNC_DELAY,
        )
        EnKashPaymentDetail.objects.create(transaction=payment, payment_mode=clean["payment_mode"])
        transaction_record_created(transaction=payment, source=actor.source, actor=actor.label,
                                   note=f"{DESK_MODES[clean['payment_mode']]} payment recorded; sending to EnKash.")
        if on_created is not None:
            on_created(payment)
    return _payment_send(payment, order, clean, actor)


def _payment_send(payment: Transaction, order: Transaction, clean: dict, actor: Actor) -> Transaction:
    wire = {k: v for k, v in clean.items() if k != "payment_mode" and v}
    try:
        result = client_for(payment.connection).submit_payment_detail(
            order_id=order.external_id, amount=order.amount, payment_mode=clean["payment_mode"], **wire,
        )
    except ProviderOutcomeUnknown as e:
        transition_apply(transaction=payment, to_status=Status.UNKNOWN, source=actor.source, actor=actor.label,
                         note=f"{e.message} ({e.code}) It will not be sent again.",
                         fields={"next_sync_at": timezone.now() + FIRST_SYNC_DELAY})
        return payment
    except (ProviderError, DecryptionError) as e:
        message = getattr(e, "message", str(e))
        transition_apply(transaction=payment, to_status=Status.FAILED, source=actor.source, actor=actor.label,
                         raw_status=str(getattr(e, "code", "credentials_unreadable")), note=message,
                         from_provider=True, fields={"last_error": message, "next_sync_at": None})
        if isinstance(e, ProviderError):
            payment.provider_error = e
        return payment
    Transaction.objects.filter(pk=payment.pk).update(external_id=result.transaction_id)
    payment.refresh_from_db()
    payment_apply(payment=payment, found=result, actor=actor)
    # The order's status follows the payment's: ask about it soon.
    Transaction.objects.filter(pk=order.pk).exclude(status__in=FINAL).update(
        next_sync_at=timezone.now() + FIRST_SYNC_DELAY)
    return payment


# -- refunds ---------------------------------------------------------------------------------
def request_id_for(*, refund_reference: str, idempotency_token: str | None) -> str:
    """The refund's requestId: from the caller's idempotency key when there is one (the
    same key is the same refund at EnKash too), else from the refund's reference."""
    if idempotency_token:
        return "pd" + hashlib.sha256(idempotency_token.encode()).hexdigest()[:40]
    return "pd" + order_id_for(refund_reference)


@refunder(PROVIDER)
def enkash_refund(*, payment: Transaction, amount, actor: Actor, idempotency_token: str | None = None,
                  on_created=None, remarks: str = "") -> Transaction:
    """Refund ``amount`` (None: all that is left) of an EnKash payment: checked against
    what is left under a lock on the payment, recorded with its requestId, sent once."""
    remarks = (remarks or "").strip()[:200]
    keyed = request_id_for(refund_reference="", idempotency_token=idempotency_token) if idempotency_token else ""
    if keyed:
        already = _refund_by_request_id(payment, keyed)
        if already is not None:
            return already
    try:
        with transaction.atomic():
            refund = _refund_record_new(payment, amount, actor, idempotency_token, remarks)
            if on_created is not None:
                on_created(refund)
    except IntegrityError:  # the same key at the same moment: that refund is this one
        already = _refund_by_request_id(payment, keyed) if keyed else None
        if already is None:
            raise
        return already
    return _refund_send(refund, payment, actor)


def _refund_by_request_id(payment: Transaction, request_id: str) -> Transaction | None:
    detail = EnKashRefundDetail.objects.select_related("transaction").filter(
        request_id=request_id, transaction__parent=payment).first()
    return detail.transaction if detail else None


def _refund_record_new(payment: Transaction, amount, actor: Actor, idempotency_token, remarks: str) -> Transaction:
    locked = Transaction.objects.select_for_update().get(pk=payment.pk)
    if locked.kind != Kind.PAYMENT or locked.provider != PROVIDER or not locked.external_id:
        raise ValidationError("This payment cannot be refunded from Paydesk.", code="not_refundable")
    if locked.status != Status.SUCCEEDED:
        raise ValidationError(f"Only a succeeded payment can be refunded; this one is "
                              f"{locked.get_status_display().lower()}.", code="not_refundable")
    left = refundable_amount(locked)
    if left <= 0:
        raise ValidationError({"amount": "Nothing is left to refund on this payment."}, code="nothing_left")
    value = left if amount in (None, "") else checked_amount(amount, currency=CURRENCY)
    if value > left:
        raise ValidationError({"amount": f"At most {left} INR is left to refund on this payment "
                                         f"(captured {locked.amount} INR)."}, code="exceeds_refundable")
    reference = new_reference()
    refund = Transaction.objects.create(
        merchant_id=locked.merchant_id, connection_id=locked.connection_id, provider=PROVIDER, kind=Kind.REFUND,
        reference=reference, parent=locked, amount=value, currency=CURRENCY, description=remarks,
        created_by=actor.user_or_none, next_sync_at=timezone.now() + FIRST_SYNC_DELAY,
    )
    request_id = request_id_for(refund_reference=reference, idempotency_token=idempotency_token)
    EnKashRefundDetail.objects.create(transaction=refund, request_id=request_id, remarks=remarks)
    transaction_record_created(transaction=refund, source=actor.source, actor=actor.label,
                               note=f"Refund of {value} INR recorded; sending to EnKash as requestId {request_id}.")
    return refund


def _refund_send(refund: Transaction, payment: Transaction, actor: Actor) -> Transaction:
    detail = refund.enkash_refund
    try:
        result = client_for(refund.connection).refund(
            transaction_id=payment.external_id, amount=refund.amount, request_id=detail.request_id,
            remarks=detail.remarks or None,
        )
    except ProviderOutcomeUnknown as e:
        transition_apply(transaction=refund, to_status=Status.UNKNOWN, source=actor.source, actor=actor.label,
                         note=f"{e.message} ({e.code}) Paydesk asks EnKash with the same requestId.",
                         fields={"next_sync_at": timezone.now() + FIRST_SYNC_DELAY})
        return refund
    except (ProviderError, DecryptionError) as e:
        message = getattr(e, "message", str(e))
        transition_apply(transaction=refund, to_status=Status.FAILED, source=actor.source, actor=actor.label,
                         raw_status=str(getattr(e, "code", "credentials_unreadable")), note=message,
                         from_provider=True, fields={"last_error": message, "next_sync_at": None})
        if isinstance(e, ProviderError):
            refund.provider_error = e
        return refund
    refund_apply(refund=refund, found=result, actor=actor)
    return refund


def refund_record(*, payment: Transaction, found, actor: Actor) -> Transaction | None:
    """A refund EnKash lists on ``payment``: Paydesk's own (by requestId) brought up to
    date, or one made elsewhere recorded so that what is left to refund stays true."""
    detail = EnKashRefundDetail.objects.select_related("transaction").filter(
        request_id=found.request_id, transaction__parent=payment).first()
    if detail is not None:
        return refund_apply(refund=detail.transaction, found=found, actor=actor)
    if found.amount is None or found.status == "unknown":
        return None
    try:
        with transaction.atomic():
            refund = Transaction.objects.create(
                merchant_id=payment.merchant_id, connection_id=payment.connection_id, provider=PROVIDER,
                kind=Kind.REFUND, parent=payment, amount=found.amount.amount, currency=CURRENCY,
                external_id=found.refund_id or "", status=found.status, raw_status=found.raw_status[:60],
                next_sync_at=None if found.status in FINAL else timezone.now() + FIRST_SYNC_DELAY,
            )
            EnKashRefundDetail.objects.create(transaction=refund, request_id=found.request_id,
                                              refund_id=found.refund_id or "", arn=found.arn or "",
                                              remarks=(found.remarks or "")[:200])
            transaction_record_created(transaction=refund, source=actor.source, actor=actor.label,
                                       note=f"EnKash lists this refund (requestId {found.request_id}), "
                                            "made outside Paydesk.")
    except IntegrityError:  # that requestId is another payment's: not this one's to record
        logger.warning("EnKash refund requestId %s is already recorded elsewhere", found.request_id)
        return None
    return refund


def refund_apply(*, refund: Transaction, found, actor: Actor) -> Transaction:
    EnKashRefundDetail.objects.filter(transaction=refund).update(
        **{k: v for k, v in {"refund_id": found.refund_id, "arn": found.arn}.items() if v})
    fields = sync_fields(refund, final=found.status in FINAL)
    if found.refund_id:
        fields["external_id"] = found.refund_id
    if found.status == "unknown":
        _bump(refund, "")
        return refund
    transition_apply(transaction=refund, to_status=found.status, source=actor.source, actor=actor.label,
                     raw_status=found.raw_status, from_provider=True, fields=fields,
                     note=f"EnKash says {found.raw_status or found.status}"
                          f"{f' (ARN {found.arn})' if found.arn else ''}.")
    return refund


def refund_check_status(*, refund: Transaction, actor: Actor) -> Transaction:
    """Ask EnKash about a refund through its payment's ``transaction_status`` (which also
    brings the payment up to date: refunded once fully refunded). A refund EnKash does
    not list whose answer was lost is sent again with the *same* requestId: EnKash then
    makes it, or answers the one it made; never a second refund."""
    _require(refund, Kind.REFUND)
    payment = refund.parent
    client = client_for(refund.connection)
    try:
        found = client.transaction_status(transaction_id=payment.external_id)
    except ProviderError as e:
        _bump(refund, e.message)
        raise
    payment_apply(payment=payment, found=found, actor=actor)
    refund.refresh_from_db()
    detail = refund.enkash_refund
    listed = any(r.request_id == detail.request_id for r in found.refunds)
    if refund.status == Status.UNKNOWN and not listed:
        try:
            result = client.refund(transaction_id=payment.external_id, amount=refund.amount,
                                   request_id=detail.request_id, remarks=detail.remarks or None)
        except ProviderRejected as e:  # e.g. nothing left: EnKash refused it, no money moved
            transition_apply(transaction=refund, to_status=Status.FAILED, source=actor.source, actor=actor.label,
                             raw_status=e.code, from_provider=True, note=e.message,
                             fields={"last_error": e.message, **sync_fields(refund, final=True)})
            return refund
        except ProviderError as e:
            _bump(refund, e.message)
            raise
        refund_apply(refund=refund, found=result, actor=actor)
        refund.refresh_from_db()
    elif not listed and refund.status not in FINAL:
        _bump(refund, "")  # not listed yet: ask again after the backoff
    return refund


# -- shared ----------------------------------------------------------------------------------
def _require(tx: Transaction, kind: str) -> None:
    if tx.kind != kind or tx.provider != PROVIDER:
        raise ValueError(f"not an EnKash {kind}")


def _bump(tx: Transaction, note: str) -> None:
    fields = sync_fields(tx, final=False)
    Transaction.objects.filter(pk=tx.pk).update(**fields, last_error=note[:2000] if note else tx.last_error)
    tx.refresh_from_db()


def refund_totals(payment: Transaction) -> dict:
    """Refunded (succeeded), held (pending or unknown), and what is left, in INR."""
    from django.db.models import Sum

    refunds = payment.children.filter(kind=Kind.REFUND)
    done = refunds.filter(status=Status.SUCCEEDED).aggregate(t=Sum("amount"))["t"] or Decimal("0.00")
    held = refunds.filter(status__in=(Status.PENDING, Status.UNKNOWN)).aggregate(t=Sum("amount"))["t"] \
        or Decimal("0.00")
    left = refundable_amount(payment) if payment.status in (Status.SUCCEEDED, Status.REFUNDED) else Decimal("0.00")
    cents = Decimal("0.01")  # SQLite sums lose the scale ("400"): always shown as 400.00
    return {"refunded": Decimal(done).quantize(cents), "in_progress": Decimal(held).quantize(cents),
            "remaining": max(Decimal(left), Decimal("0.00")).quantize(cents)}


# -- what the order page offers the payer ----------------------------------------------------
def order_pay_options(*, order: Transaction) -> dict:
    """The UPI intent links per app and the BNPL modes of a payable order, read from
    EnKash (asking for the links opens the order's UPI attempt there, once). Each part
    that could not be read carries its error instead."""
    client = client_for(order.connection)
    options: dict = {"upi": None, "apps": [], "upi_error": "", "bnpl": (), "bnpl_error": ""}
    try:
        link = client.upi_intent_link(order_id=order.external_id)
        options["upi"] = link
        # Only the app schemes Paydesk knows go into a link on the page (never javascript:).
        apps = [("Google Pay", link.gpay), ("PhonePe", link.phonepe), ("Paytm", link.paytm),
                ("Any UPI app", link.upi_url)]
        options["apps"] = [(name, url) for name, url in apps if url.split(":", 1)[0].lower() in UPI_APP_SCHEMES]
    except ProviderError as e:
        options["upi_error"] = e.message
    try:
        options["bnpl"] = client.bnpl_payment_modes(order_id=order.external_id)
    except ProviderError as e:
        options["bnpl_error"] = e.message
    return options


def order_qr_png(*, order: Transaction) -> bytes:
    """The order's dynamic UPI QR code as a PNG, from EnKash (never stored)."""
    return client_for(order.connection).dynamic_qr_code(order_id=order.external_id).png


def order_refresh(*, order: Transaction, actor: Actor) -> Transaction:
    """Ask EnKash about the order, its open payments and their open refunds."""
    if order.status not in FINAL:
        order_check_status(order=order, actor=actor)
    for payment in order.children.filter(kind=Kind.PAYMENT).exclude(status__in=FINAL):
        payment_check_status(payment=payment, actor=actor)
    open_refunds = Transaction.objects.filter(kind=Kind.REFUND, parent__parent=order).exclude(status__in=FINAL)
    for refund in open_refunds.select_related("parent"):
        refund_check_status(refund=refund, actor=actor)
    order.refresh_from_db()
    return order
