"""Credit-card payment links (EnigmaPay credit-card/payment) and the dealer settings
that say whether the card method is on.

A link moves no money by itself (the customer pays later, on EnigmaPay's page), so a
lost answer is a failed link, not an unknown payment: at worst EnigmaPay holds an
orphan link nobody was shown. The link is a ``Transaction`` of kind payment_link:
pending until EnigmaPay reports it paid (``payment_link_check_status``, run by the sync)."""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from payments.models import Kind, PaymentLinkDetail, Status, Transaction
from payments.services.common import Actor, checked_amount, with_reference
from payments.services.payouts import FINAL_FROM_UPSTREAM, FIRST_SYNC_DELAY, status_of, sync_fields
from payments.transitions import transaction_record_created, transition_apply
from providers.base.errors import ProviderError, ProviderRejected
from providers.enigmapay.client import CREDIT_CARD_MINIMUM
from providers.enigmapay.types import DealerSettings
from providers.models import ProviderConnection
from providers.services import client_for

SETTINGS_CACHE_SECONDS = 60


def dealer_settings_get(*, connection: ProviderConnection, fresh: bool = False) -> DealerSettings:
    """The connection's dealer settings, cached a minute (every link form asks)."""
    key = f"enigmapay-settings:{connection.pk}:{connection.updated_at.timestamp()}"
    found = None if fresh else cache.get(key)
    if found is None:
        found = client_for(connection).settings()
        cache.set(key, found, SETTINGS_CACHE_SECONDS)
    return found


def _require_card_method(connection: ProviderConnection) -> None:
    """Links are offered only where the dealer settings say the card method is on: page
    and API alike, before any row is made (a provider error reading them propagates)."""
    if not dealer_settings_get(connection=connection).credit_card.active:
        raise ProviderRejected(
            "Card payments are not active on this EnigmaPay account; ask EnigmaPay support to activate them.",
            provider="enigmapay", operation="credit_card_payment", code="credit_card_disabled",
        )


def payment_link_validate(*, username: str, first_name: str, last_name: str, email: str, phone: str,
                          amount: object, description: str = "") -> dict:
    errors: dict[str, str] = {}
    for field, value, label in (("username", username, "the customer's EnigmaPay username"),
                                ("first_name", first_name, "a first name"), ("last_name", last_name, "a last name"),
                                ("phone", phone, "a phone number")):
        if not (value or "").strip():
            errors[field] = f"Enter {label}."
    try:
        validate_email((email or "").strip())
    except ValidationError:
        errors["email"] = "Enter a valid email address."
    try:
        value = checked_amount(amount, minimum=CREDIT_CARD_MINIMUM, currency="TRY")
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
        value = None
    if len(description or "") > 120:
        errors["description"] = "Keep the description under 120 characters."
    if errors:
        raise ValidationError(errors)
    return {"username": username.strip(), "first_name": first_name.strip(), "last_name": last_name.strip(),
            "email": email.strip(), "phone": phone.strip(), "amount": value, "description": (description or "").strip()}


def payment_link_create(*, connection: ProviderConnection, actor: Actor, username: str, first_name: str,
                        last_name: str, email: str, phone: str, amount: object, description: str = "",
                        on_created=None) -> Transaction:
    clean = payment_link_validate(username=username, first_name=first_name, last_name=last_name, email=email,
                                  phone=phone, amount=amount, description=description)
    _require_card_method(connection)
    with transaction.atomic():
        link = Transaction.objects.create(
            merchant_id=connection.merchant_id, connection=connection, provider=connection.provider,
            kind=Kind.PAYMENT_LINK, amount=clean["amount"], currency="TRY", description=clean["description"],
            created_by=actor.user_or_none,
        )
        detail = PaymentLinkDetail.objects.create(
            transaction=link, username=clean["username"], first_name=clean["first_name"],
            last_name=clean["last_name"], email=clean["email"], phone=clean["phone"],
        )
        transaction_record_created(transaction=link, source=actor.source, actor=actor.label,
                                   note="Payment link requested from EnigmaPay.")
        if on_created is not None:
            on_created(link)
    try:
        result = client_for(connection).credit_card_payment(
            username=clean["username"], firstname=clean["first_name"], lastname=clean["last_name"],
            email=clean["email"], phone=clean["phone"], amount=clean["amount"],
            description=with_reference(clean["description"], link.reference),
        )
    except ProviderError as e:
        transition_apply(transaction=link, to_status=Status.FAILED, source=actor.source, actor=actor.label,
                         raw_status=str(e.code), note=e.message, from_provider=True, fields={"last_error": e.message})
        return link
    detail.order_id, detail.payment_url = result.order_id or "", result.payment_url or ""
    detail.save(update_fields=["order_id", "payment_url"])
    external = str(result.transaction_id) if getattr(result, "transaction_id", None) is not None else ""
    transition_apply(transaction=link, to_status=Status.PENDING, source=actor.source,
                     fields={"external_id": external, "next_sync_at": timezone.now() + FIRST_SYNC_DELAY})
    return link


def payment_link_check_status(*, link: Transaction, actor: Actor) -> Transaction:
    """Ask EnigmaPay whether the link was paid (transaction-status) and record it.
    Creates nothing. A link EnigmaPay never gave an id for cannot be asked about."""
    if link.kind != Kind.PAYMENT_LINK:
        raise ValueError("not a payment link")
    if not link.external_id:
        Transaction.objects.filter(pk=link.pk).update(next_sync_at=None)
        link.refresh_from_db()
        return link
    try:
        found = client_for(link.connection).transaction_status(transaction_id=int(link.external_id))
    except ProviderError as e:
        Transaction.objects.filter(pk=link.pk).update(**sync_fields(link, final=False), last_error=e.message[:2000])
        raise
    new = status_of(found.status)
    transition_apply(
        transaction=link, to_status=new, source=actor.source, actor=actor.label, raw_status=found.raw_status,
        from_provider=True, fields=sync_fields(link, final=new in FINAL_FROM_UPSTREAM),
        note=f"EnigmaPay says {found.raw_status or new}.",
    )
    return link
