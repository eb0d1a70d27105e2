"""EoneoPay: customers with tokenised cards and bank accounts, card payments by token,
full refunds, and the connection's API keys.

Policy that is not obvious:
- Card numbers and CVVs are handed straight to the client and forgotten: they are not
  stored, not logged, not put in an exception. What comes back (token, masked PAN,
  type, expiry) is what Paydesk keeps. Bank account numbers are kept masked; an update
  reads the customer back from EoneoPay and sends its own record again, since
  EoneoPay's update replaces the whole customer.
- A charge is committed as ``pending`` before ``POST /payments`` goes out and is sent
  once, ever. A lost answer makes it ``unknown``. EoneoPay has no payment-status call
  (providers/eoneopay/README.md, "Unknown outcomes"), so nothing can ask: the charge is
  flagged "needs attention" at once (``payments.sync.eoneopay``) with the reference to
  look for in EoneoPay's dashboard. Refunds the same.
- Refunds are full only (the doc's ``DELETE /payments/{txnID}`` takes no amount). A
  refund that succeeds makes the payment ``refunded`` through ``payments.transitions``.
- A new API key is of the admin key's mode; one of another mode than the connection
  (a test key on a live connection) is revoked at once and never stored or shown.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from payments.models import (
    EoneoPayApiKey,
    EoneoPayBankAccount,
    EoneoPayCard,
    EoneoPayCustomer,
    EoneoPayPaymentDetail,
    Kind,
    Status,
    Transaction,
)
from payments.services.common import Actor, checked_amount
from payments.services.refunds import refundable_amount, refunder
from payments.sync.eoneopay import flag_unknown
from payments.transitions import transaction_record_created, transition_apply
from providers import crypto
from providers.base.errors import ProviderError, ProviderOutcomeUnknown, ProviderRejected
from providers.base.money import Money
from providers.crypto import DecryptionError
from providers.eoneopay.client import key_mode
from providers.eoneopay.types import BankAccount, Card, NewCard
from providers.models import ProviderConnection
from providers.services import client_for

logger = logging.getLogger("payments.eoneopay")

CURRENCY = "AUD"
MAX_AMOUNT = Decimal("999999.99")
# The merchant's reference plus " [PD-XXXXXXXXXX]" fits EoneoPay's 60 characters.
REFERENCE_MAX = 40


class EoneoPayError(Exception):
    """EoneoPay said no or could not be asked; ``message`` is for people."""

    def __init__(self, message: str, *, error: ProviderError | None = None) -> None:
        self.message = message
        self.error = error
        super().__init__(message)


# -- input checks ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CardInput:
    number: str
    expiry_date: str
    cvv: str

    def __repr__(self) -> str:  # never the number or CVV, whatever prints it
        return f"CardInput(expiry_date={self.expiry_date!r})"


@dataclass(frozen=True)
class BankInput:
    name: str
    number: str
    branch: str

    def __repr__(self) -> str:
        return f"BankInput(name={self.name!r}, branch={self.branch!r})"


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def card_checked(number: str, expiry_date: str, cvv: str, *, prefix: str = "card") -> CardInput:
    """The card as EoneoPay takes it, or a ValidationError naming the field (never echoing it)."""
    errors = {}
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or not _luhn(digits):
        errors[f"{prefix}_number"] = "That is not a valid card number: check the digits."
    expiry = (expiry_date or "").strip().replace(" ", "")
    match = re.fullmatch(r"(\d{2})/(\d{2}|\d{4})", expiry)
    if not match or not 1 <= int(match.group(1)) <= 12:
        errors[f"{prefix}_expiry"] = "Enter the expiry as MM/YY, e.g. 05/29."
    else:
        expiry = f"{match.group(1)}/{match.group(2)[-2:]}"
    cvv = (cvv or "").strip()
    wanted = 4 if digits[:2] in ("34", "37") else 3
    if not cvv.isdigit() or len(cvv) != wanted:
        errors[f"{prefix}_cvv"] = f"The CVV is the {wanted}-digit code on the card."
    if errors:
        raise ValidationError(errors)
    return CardInput(digits, expiry, cvv)


def bank_checked(name: str, number: str, branch: str, *, prefix: str = "bank") -> BankInput:
    errors = {}
    if not (name or "").strip():
        errors[f"{prefix}_name"] = "Enter the account holder's name."
    number = re.sub(r"[\s-]", "", number or "")
    if not number.isdigit() or not 5 <= len(number) <= 10:
        errors[f"{prefix}_number"] = "An Australian account number has 5 to 10 digits."
    branch = re.sub(r"[\s-]", "", branch or "")
    if not branch.isdigit() or len(branch) != 6:
        errors[f"{prefix}_branch"] = "The BSB has six digits, e.g. 012-003."
    if errors:
        raise ValidationError(errors)
    return BankInput(name.strip(), number, branch)


def details_checked(name: str, email: str, address: str) -> dict:
    errors = {}
    name, email, address = (name or "").strip(), (email or "").strip(), (address or "").strip()
    if not name:
        errors["name"] = "Enter the customer's name."
    elif len(name) > 200:
        errors["name"] = "Keep the name under 200 characters."
    try:  # EoneoPay requires one
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter the customer's email address, e.g. ann@example.com."
    if len(address) > 500:
        errors["address"] = "Keep the address under 500 characters."
    if errors:
        raise ValidationError(errors)
    return {"name": name, "email": email, "address": address}


def mask_account(number: str) -> str:
    digits = re.sub(r"\D", "", number or "")
    return "···" + digits[-3:] if digits else "···"


# -- customers ------------------------------------------------------------------------------
def customer_create(
    *, connection: ProviderConnection, actor: Actor, name: str, email: str = "", address: str = "",
    cards: list[CardInput] = (), bank_accounts: list[BankInput] = (),
) -> EoneoPayCustomer:
    """Create the customer at EoneoPay (cards tokenised there) and keep what came back."""
    details = details_checked(name, email, address)
    client = _client(connection)
    try:
        found = client.customer_create(
            **details, cards=[NewCard(c.number, c.expiry_date, c.cvv) for c in cards],
            bank_accounts=[BankAccount(b.name, b.number, b.branch) for b in bank_accounts],
        )
    except ProviderRejected as e:
        raise EoneoPayError(_sentence("EoneoPay did not create the customer", e), error=e) from None
    except ProviderError as e:
        # The answer may be lost after EoneoPay made the customer (a create is never re-sent):
        # look for it before saying it failed, so that a retry does not make a second one.
        found = _recover_created(client, connection, details)
        if found is None:
            raise EoneoPayError(_sentence("EoneoPay did not confirm the customer", e)
                                + " Check the customer list before trying again.", error=e) from None
    return _store(connection, found, created_by=actor.user_or_none)


def _recover_created(client, connection: ProviderConnection, details: dict):
    """The one customer EoneoPay has with these details that Paydesk does not know yet."""
    try:
        listed = client.customer_list()
    except ProviderError:
        return None
    known = set(EoneoPayCustomer.objects.filter(connection=connection).values_list("external_id", flat=True))
    matches = [c for c in listed if c.id not in known and c.email == details["email"] and c.name == details["name"]]
    return matches[0] if len(matches) == 1 else None


def _store(connection: ProviderConnection, found, *, created_by=None) -> EoneoPayCustomer:
    """Paydesk's copy of an EoneoPay customer: cards and bank accounts as they are there."""
    with transaction.atomic():
        customer, _ = EoneoPayCustomer.objects.select_for_update().update_or_create(
            connection=connection, external_id=found.id,
            defaults={"merchant_id": connection.merchant_id, "name": found.name, "email": found.email,
                      "address": found.address},
            create_defaults={"merchant_id": connection.merchant_id, "name": found.name, "email": found.email,
                             "address": found.address, "created_by": created_by},
        )
        _store_cards(customer, found.cards)
        customer.bank_accounts.all().delete()
        EoneoPayBankAccount.objects.bulk_create(
            EoneoPayBankAccount(customer=customer, name=b.name, masked_number=mask_account(b.number), branch=b.branch)
            for b in found.bank_accounts
        )
    return customer


def _store_cards(customer: EoneoPayCustomer, cards: tuple[Card, ...]) -> None:
    tokens = {card.token for card in cards}
    customer.cards.filter(removed_at__isnull=True).exclude(token__in=tokens).update(removed_at=timezone.now())
    for card in cards:
        EoneoPayCard.objects.update_or_create(
            customer=customer, token=card.token,
            defaults={"masked_pan": _safe_mask(card.masked_pan), "expiry_date": card.expiry_date[:5],
                      "card_type": card.card_type[:10], "description": card.description[:60], "removed_at": None},
        )


def _safe_mask(masked: str) -> str:
    """At most first six / last four digits, whatever EoneoPay sent."""
    digits = [i for i, c in enumerate(masked) if c.isdigit()]
    if len(digits) <= 10:
        return masked[:19]
    keep = set(digits[:6]) | set(digits[-4:])
    return "".join(c if (not c.isdigit() or i in keep) else "X" for i, c in enumerate(masked))[:19]


def customer_update(
    *, customer: EoneoPayCustomer, actor: Actor, name: str | None = None, email: str | None = None,
    address: str | None = None, add_cards: list[CardInput] = (), remove_card_ids: list[int] = (),
    add_bank_accounts: list[BankInput] = (), remove_bank_ids: list[int] = (),
) -> EoneoPayCustomer:
    """Change the customer at EoneoPay. Its update replaces the whole record, so the
    record is read back first and sent whole, with the changes."""
    if customer.is_deleted:
        raise EoneoPayError("This customer was deleted at EoneoPay.")
    details = details_checked(customer.name if name is None else name,
                               customer.email if email is None else email,
                               customer.address if address is None else address)
    client = _client(customer.connection)
    removed_tokens = set(customer.cards.filter(pk__in=list(remove_card_ids)).values_list("token", flat=True))
    removed_banks = _bank_positions(customer, remove_bank_ids)
    try:
        current = client.customer_get(customer_id=customer.external_id)
        cards = [c for c in current.cards if c.token not in removed_tokens]
        cards += [NewCard(c.number, c.expiry_date, c.cvv) for c in add_cards]
        banks = [b for i, b in enumerate(current.bank_accounts) if i not in removed_banks]
        banks += [BankAccount(b.name, b.number, b.branch) for b in add_bank_accounts]
        found = client.customer_update(customer_id=customer.external_id, **details, cards=cards, bank_accounts=banks)
    except ProviderError as e:
        if e.code == "customer_deleted":
            _mark_deleted(customer)
        raise EoneoPayError(_sentence("EoneoPay did not update the customer", e), error=e) from None
    return _store(customer.connection, found)


def _bank_positions(customer: EoneoPayCustomer, ids) -> set[int]:
    """Bank accounts are kept in EoneoPay's order; their position names them there."""
    wanted = set(ids)
    return {i for i, pk in enumerate(customer.bank_accounts.values_list("pk", flat=True)) if pk in wanted}


def customer_delete(*, customer: EoneoPayCustomer, actor: Actor) -> EoneoPayCustomer:
    if customer.is_deleted:
        return customer
    try:
        _client(customer.connection).customer_delete(customer_id=customer.external_id)
    except ProviderError as e:
        if e.code != "customer_deleted":  # 410: deleted already, which is what was asked
            raise EoneoPayError(_sentence("EoneoPay did not delete the customer", e), error=e) from None
    _mark_deleted(customer)
    return customer


def _mark_deleted(customer: EoneoPayCustomer) -> None:
    now = timezone.now()
    EoneoPayCustomer.objects.filter(pk=customer.pk).update(deleted_at=now)
    customer.cards.filter(removed_at__isnull=True).update(removed_at=now)
    customer.deleted_at = now


def customers_import(*, connection: ProviderConnection) -> int:
    """Bring EoneoPay's customer list into Paydesk (customers made elsewhere, or whose
    create answer was lost). Returns how many were read."""
    try:
        found = _client(connection).customer_list()
    except ProviderError as e:
        raise EoneoPayError(_sentence("Could not read the customers from EoneoPay", e), error=e) from None
    for item in found:
        _store(connection, item)
    return len(found)


# -- payments -------------------------------------------------------------------------------
def charge_validate(*, card: EoneoPayCard | None, amount: object, currency: str = CURRENCY,
                    reference: str = "", description: str = "") -> dict:
    errors = {}
    if card is None or card.removed_at is not None or card.customer.is_deleted:
        errors["card"] = "Choose one of the customer's current cards."
    if (currency or CURRENCY).upper() != CURRENCY:
        errors["currency"] = "EoneoPay takes Australian dollars (AUD) only."
    try:
        value = checked_amount(amount, places=2, currency=CURRENCY)
        if value > MAX_AMOUNT:
            raise ValidationError({"amount": f"EoneoPay takes at most {MAX_AMOUNT} AUD in one payment."})
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
        value = None
    reference = (reference or "").strip()
    if not reference:
        errors["reference"] = "Enter a reference (an order number) to find the payment by."
    elif len(reference) > REFERENCE_MAX:
        errors["reference"] = f"Keep the reference to {REFERENCE_MAX} characters."
    if len(description or "") > 200:
        errors["description"] = "Keep the description under 200 characters."
    if errors:
        raise ValidationError(errors)
    return {"card": card, "amount": value, "reference": reference, "description": (description or "").strip()}


def payment_charge(
    *, connection: ProviderConnection, actor: Actor, card: EoneoPayCard | None, amount: object,
    currency: str = CURRENCY, reference: str = "", description: str = "", on_created=None,
) -> Transaction:
    """Charge a stored card once: record it pending, send it, record the answer."""
    clean = charge_validate(card=card, amount=amount, currency=currency, reference=reference,
                            description=description)
    if card.customer.connection_id != connection.pk:
        raise ValidationError({"card": "That card belongs to another EoneoPay connection."})
    with transaction.atomic():
        payment = Transaction.objects.create(
            merchant_id=connection.merchant_id, connection=connection, provider="eoneopay", kind=Kind.PAYMENT,
            amount=clean["amount"], currency=CURRENCY, description=clean["description"],
            created_by=actor.user_or_none,
        )
        sent_reference = f"{clean['reference']} [{payment.reference}]"
        EoneoPayPaymentDetail.objects.create(
            transaction=payment, customer=card.customer, card=card, masked_pan=card.masked_pan,
            card_description=card.description, reference=sent_reference,
        )
        transaction_record_created(transaction=payment, source=actor.source, actor=actor.label,
                                   note=f"Charge of {card.label} recorded; sending to EoneoPay.")
        if on_created is not None:
            on_created(payment)
    try:
        return _charge(payment, card, sent_reference, actor)
    except BaseException as e:
        _unknown_after_crash(payment, actor, e)
        raise


def _charge(payment: Transaction, card: EoneoPayCard, sent_reference: str, actor: Actor) -> Transaction:
    try:
        client = client_for(payment.connection)
    except DecryptionError as e:
        return _failed(payment, actor, str(e), "credentials_unreadable")
    try:
        result = client.payment_create(token=card.token, amount=Money(payment.amount, CURRENCY),
                                       reference=sent_reference)
    except ProviderOutcomeUnknown as e:
        return _unknown(payment, actor, e)
    except ProviderRejected as e:
        external = getattr(e, "txn_id", None) or ""
        raw = getattr(e, "response_code", None) or str(e.code)
        payment.provider_error = e
        return _failed(payment, actor, e.message, raw, external_id=external)
    except ProviderError as e:  # it provably did not act (503, 429, no connection)
        payment.provider_error = e
        return _failed(payment, actor, e.message, str(e.code))
    transition_apply(
        transaction=payment, to_status=Status.SUCCEEDED, source=actor.source, actor=actor.label,
        raw_status=result.raw_code, from_provider=True, fields={"external_id": result.txn_id},
        note=f"EoneoPay approved it as txnID {result.txn_id}.",
    )
    return payment


def _failed(tx: Transaction, actor: Actor, message: str, raw: str, *, external_id: str = "") -> Transaction:
    fields = {"last_error": message, "next_sync_at": None}
    if external_id:
        fields["external_id"] = external_id
    transition_apply(transaction=tx, to_status=Status.FAILED, source=actor.source, actor=actor.label,
                     note=message, raw_status=raw, from_provider=True, fields=fields)
    return tx


def _unknown(tx: Transaction, actor: Actor, error: ProviderOutcomeUnknown) -> Transaction:
    transition_apply(transaction=tx, to_status=Status.UNKNOWN, source=actor.source, actor=actor.label,
                     note=f"{error.message} ({error.code}) It will not be sent again.")
    flag_unknown(transaction=tx)
    tx.refresh_from_db()
    return tx


def _unknown_after_crash(tx: Transaction, actor: Actor, error: BaseException) -> None:
    try:
        current = Transaction.objects.values_list("status", flat=True).get(pk=tx.pk)
        if current == Status.PENDING:
            transition_apply(transaction=tx, to_status=Status.UNKNOWN, source=actor.source, actor=actor.label,
                             note=f"Paydesk stopped before recording EoneoPay's answer ({type(error).__name__}).")
            flag_unknown(transaction=tx)
    except Exception:
        logger.exception("could not mark %s unknown", tx.reference)


@refunder("eoneopay", partial=False)
def eoneopay_refund(*, payment: Transaction, amount: Decimal | None, actor: Actor,
                    idempotency_token: str | None = None) -> Transaction:
    """Refund an EoneoPay payment in full (``DELETE /payments/{txnID}``), once."""
    with transaction.atomic():
        locked = Transaction.objects.select_for_update().get(pk=payment.pk)
        left = refundable_amount(locked)
        if locked.status != Status.SUCCEEDED or not locked.external_id or left <= 0:
            raise ValidationError("This payment cannot be refunded: it is not a successful, unrefunded payment.",
                                  code="not_refundable")
        if amount not in (None, "") and checked_amount(amount) != locked.amount:
            raise ValidationError({"amount": f"EoneoPay refunds a payment in full only: {locked.amount} AUD. "
                                             "Leave the amount empty to refund it all."})
        refund = Transaction.objects.create(
            merchant_id=locked.merchant_id, connection_id=locked.connection_id, provider="eoneopay",
            kind=Kind.REFUND, amount=locked.amount, currency=locked.currency, parent=locked,
            description=f"Refund of {locked.reference}", created_by=actor.user_or_none,
        )
        transaction_record_created(transaction=refund, source=actor.source, actor=actor.label,
                                   note=f"Full refund of {locked.reference} recorded; sending to EoneoPay.")
    try:
        return _refund(refund, locked, actor)
    except BaseException as e:
        _unknown_after_crash(refund, actor, e)
        raise


def _refund(refund: Transaction, payment: Transaction, actor: Actor) -> Transaction:
    try:
        client = client_for(refund.connection)
    except DecryptionError as e:
        return _failed(refund, actor, str(e), "credentials_unreadable")
    try:
        result = client.payment_refund(txn_id=payment.external_id)
    except ProviderOutcomeUnknown as e:
        return _unknown(refund, actor, e)
    except ProviderError as e:
        refund.provider_error = e
        _failed(refund, actor, e.message, str(e.code))
        if e.code == "already_refunded":  # EoneoPay's word that the payment is refunded already
            transition_apply(transaction=payment, to_status=Status.REFUNDED, source=actor.source, actor=actor.label,
                             raw_status="already_refunded", from_provider=True,
                             note="EoneoPay says this payment was refunded already.")
        return refund
    transition_apply(transaction=refund, to_status=Status.SUCCEEDED, source=actor.source, actor=actor.label,
                     raw_status=result.raw_code, from_provider=True, fields={"external_id": result.txn_id},
                     note=f"EoneoPay refunded it as txnID {result.txn_id}.")
    transition_apply(transaction=payment, to_status=Status.REFUNDED, source=actor.source, actor=actor.label,
                     raw_status=result.raw_code, from_provider=True,
                     note=f"Refunded in full by {refund.reference}.")
    return refund


# -- API keys -------------------------------------------------------------------------------
def api_keys_allowed(connection: ProviderConnection) -> bool:
    """Only a connection with an admin key can manage EoneoPay API keys."""
    try:
        return connection.provider == "eoneopay" and bool(connection.credentials.get("admin_key"))
    except DecryptionError:
        return False


def api_key_create(*, connection: ProviderConnection, actor: Actor) -> tuple[EoneoPayApiKey, str]:
    """A new key pair at EoneoPay. Returns the stored record and the secret key, to show
    once. A key of another mode than the connection is revoked and refused."""
    client = _client(connection)
    try:
        pair = client.api_key_create()
    except ProviderError as e:
        raise EoneoPayError(_sentence("EoneoPay did not create a key", e), error=e) from None
    if pair.mode != connection.mode or key_mode(pair.secret_key) != connection.mode:
        try:
            client.api_key_revoke(api_key=pair.secret_key)
        except ProviderError:
            logger.warning("a %s key made for %s connection %s could not be revoked", pair.mode,
                           connection.mode, connection.pk)
        raise EoneoPayError(f"EoneoPay issued a {pair.mode} key for this {connection.mode} connection; "
                            "it was revoked and not kept.")
    record = EoneoPayApiKey.objects.create(
        merchant_id=connection.merchant_id, connection=connection, mode=pair.mode,
        key_encrypted=crypto.encrypt_json({"key": pair.secret_key}), hint=key_hint(pair.secret_key),
        public_key=pair.public_key, permissions="-", raw_status="1", status="active",
        created_by=actor.user_or_none,
    )
    return record, pair.secret_key


def key_hint(key: str) -> str:
    prefix = key[:8] if key.startswith(("sk_test_", "sk_live_")) else ""
    return f"{prefix}…{key[-4:]}"


def api_key_refresh(*, key: EoneoPayApiKey) -> EoneoPayApiKey:
    """Read the key's details from EoneoPay."""
    try:
        found = _client(key.connection).api_key_get(api_key=_secret(key))
    except ProviderError as e:
        if e.code == "api_key_revoked":
            return _revoked(key)
        raise EoneoPayError(_sentence("Could not read the key from EoneoPay", e), error=e) from None
    key.permissions, key.raw_status, key.status = found.permissions, found.raw_status, found.status
    key.checked_at = timezone.now()
    if found.status == "revoked" and key.revoked_at is None:
        key.revoked_at = key.checked_at
    key.save(update_fields=["permissions", "raw_status", "status", "checked_at", "revoked_at"])
    return key


def api_key_revoke(*, key: EoneoPayApiKey, actor: Actor) -> EoneoPayApiKey:
    if key.revoked_at is not None:
        return key
    try:
        _client(key.connection).api_key_revoke(api_key=_secret(key))
    except ProviderError as e:
        if e.code != "api_key_revoked":  # 410: revoked already
            raise EoneoPayError(_sentence("EoneoPay did not revoke the key", e), error=e) from None
    return _revoked(key)


def _revoked(key: EoneoPayApiKey) -> EoneoPayApiKey:
    key.status, key.raw_status, key.revoked_at = "revoked", "0", key.revoked_at or timezone.now()
    key.save(update_fields=["status", "raw_status", "revoked_at"])
    return key


def _secret(key: EoneoPayApiKey) -> str:
    return crypto.decrypt_json(key.key_encrypted)["key"]


# -- helpers --------------------------------------------------------------------------------
def _client(connection: ProviderConnection):
    if connection.provider != "eoneopay":
        raise EoneoPayError("That is not an EoneoPay connection.")
    try:
        return client_for(connection)
    except DecryptionError as e:
        raise EoneoPayError(str(e)) from None


def _sentence(what: str, error: ProviderError) -> str:
    return f"{what}: {error.message}"
