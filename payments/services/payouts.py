"""Payouts to a customer's IBAN (EnigmaPay send-money).

Policy that is not obvious:
- The payout row is committed as ``pending`` *before* send-money is called (the caller
  must not hold an open database transaction, see ``payments/views``), so that a crash
  or a lost answer leaves a record to resolve rather than money Paydesk knows nothing of.
- send-money is sent once, ever. A timeout or a dropped answer makes the payout
  ``unknown``; it is resolved by ``payout_check_status`` asking EnigmaPay, never by
  sending again.
- The payout's Paydesk reference travels in the description, so that a payout whose
  answer (and with it EnigmaPay's transaction id) was lost can still be found in the
  IBAN transaction history.
- A refusal, or a call that provably never reached EnigmaPay, makes it ``failed`` with
  the reason; a new payout is a new request with a new reference.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from payments.models import Kind, PayoutDetail, Status, Transaction
from payments.services.balances import available_balance, ibans_refresh
from payments.services.common import Actor, checked_amount, with_reference
from payments.transitions import (
    TransitionRequest,
    transaction_note,
    transaction_record_created,
    transition_apply,
    transition_apply_many,
)
from providers.base.errors import ProviderError, ProviderOutcomeUnknown
from providers.crypto import DecryptionError
from providers.enigmapay.types import FAILED, SUCCEEDED
from providers.enigmapay.types import UNKNOWN as UNREADABLE
from providers.models import ProviderConnection
from providers.services import client_for

logger = logging.getLogger("payments.payouts")

# How soon the sync asks again about a payout that is pending or unknown.
FIRST_SYNC_DELAY = timedelta(seconds=30)


def payout_validate(
    *, connection: ProviderConnection, username: str, customer_iban: str, customer_name: str,
    amount: object, description: str = "",
) -> dict:
    """The payout as it would be sent, normalised, or ValidationError by field. Sends nothing."""
    errors: dict[str, str] = {}
    if connection.provider != "enigmapay":
        errors["connection"] = "Payouts to IBANs go through EnigmaPay."
    if not (username or "").strip():
        errors["username"] = "EnigmaPay needs the customer's username on its platform."
    if not (customer_name or "").strip():
        errors["customer_name"] = "Enter the account holder's name."
    iban = _checked_iban(customer_iban, errors)
    try:
        value = checked_amount(amount, maximum=available_balance(connection=connection), currency="TRY")
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
        value = None
    if len(description or "") > 120:
        errors["description"] = "Keep the description under 120 characters."
    if errors:
        raise ValidationError(errors)
    return {
        "username": username.strip(), "customer_iban": iban, "customer_name": customer_name.strip(),
        "amount": value, "description": (description or "").strip(),
    }


def _checked_iban(value: str, errors: dict[str, str]) -> str:
    try:
        iban = IBAN(value or "")
    except SchwiftyException:
        errors["customer_iban"] = "That is not a valid IBAN: check the letters and digits."
        return ""
    if iban.country_code != "TR":
        errors["customer_iban"] = "EnigmaPay pays out to Turkish IBANs (starting with TR) only."
    return iban.compact


def payout_create(
    *, connection: ProviderConnection, actor: Actor, username: str, customer_iban: str,
    customer_name: str, amount: object, description: str = "",
    on_created=None,
) -> Transaction:
    """Validate, record the payout as pending, send it once, record what came back.
    ``on_created(tx)`` runs right after the pending row is committed (an idempotency key
    links itself there, before any money moves)."""
    clean = payout_validate(
        connection=connection, username=username, customer_iban=customer_iban,
        customer_name=customer_name, amount=amount, description=description,
    )
    with transaction.atomic():
        payout = Transaction.objects.create(
            merchant_id=connection.merchant_id, connection=connection, provider=connection.provider,
            kind=Kind.PAYOUT, amount=clean["amount"], currency="TRY", description=clean["description"],
            created_by=actor.user_or_none,
            # Due for the sync from the start: if Paydesk stops before recording the
            # answer, the sync still finds this payout.
            next_sync_at=timezone.now() + FIRST_SYNC_DELAY,
        )
        PayoutDetail.objects.create(
            transaction=payout, username=clean["username"], customer_iban=clean["customer_iban"],
            customer_name=clean["customer_name"],
        )
        transaction_record_created(transaction=payout, source=actor.source, actor=actor.label,
                                   note="Payout recorded; sending to EnigmaPay.")
        if on_created is not None:
            on_created(payout)
    try:
        return _send(payout, clean, actor)
    except BaseException as e:
        # Whatever broke after the row was committed (a database error recording
        # EnigmaPay's answer, a worker stopped mid-call), the payout may have gone out:
        # make it unknown for the sync to resolve, never leave it pending and forgotten.
        _mark_unknown_after_crash(payout, actor, e)
        raise


def _mark_unknown_after_crash(payout: Transaction, actor: Actor, error: BaseException) -> None:
    try:
        transition_apply(
            transaction=payout, to_status=Status.UNKNOWN, source=actor.source, actor=actor.label,
            note=f"Paydesk stopped before recording EnigmaPay's answer ({type(error).__name__}); checking.",
            fields={"next_sync_at": timezone.now() + FIRST_SYNC_DELAY},
        )
    except Exception:  # the database itself may be what failed; next_sync_at is set already
        logger.exception("could not mark payout %s unknown", payout.reference)


def _send(payout: Transaction, clean: dict, actor: Actor) -> Transaction:
    text = with_reference(clean["description"], payout.reference)
    try:
        client = client_for(payout.connection)
    except DecryptionError as e:  # nothing was sent
        transition_apply(
            transaction=payout, to_status=Status.FAILED, source=actor.source, actor=actor.label, note=str(e),
            raw_status="credentials_unreadable", from_provider=True,
            fields={"last_error": str(e), "next_sync_at": None},
        )
        return payout
    try:
        result = client.send_money(
            username=clean["username"], amount=clean["amount"], customer_iban=clean["customer_iban"],
            customer_name=clean["customer_name"], description=text,
        )
    except ProviderOutcomeUnknown as e:
        transition_apply(
            transaction=payout, to_status=Status.UNKNOWN, source=actor.source, actor=actor.label,
            note=f"{e.message} ({e.code})", fields={"next_sync_at": timezone.now() + FIRST_SYNC_DELAY},
        )
        return payout
    except ProviderError as e:
        # A refusal, or a failure that proves EnigmaPay never acted (no connection, 503).
        transition_apply(
            transaction=payout, to_status=Status.FAILED, source=actor.source, actor=actor.label,
            note=e.message, raw_status=str(e.code), from_provider=True,
            fields={"last_error": e.message, "next_sync_at": None},
        )
        payout.provider_error = e  # for the API's answer (status by error class); not stored
        return payout
    status = status_of(result.status)
    external = str(result.transaction_id) if getattr(result, "transaction_id", None) is not None else ""
    fields = {"external_id": external} if external else {}
    if status == Status.PENDING:
        fields["next_sync_at"] = timezone.now() + FIRST_SYNC_DELAY
    if status == Status.PENDING:
        transition_apply(transaction=payout, to_status=Status.PENDING, source=actor.source,
                         raw_status=result.raw_status, fields=fields)
        # Pending → pending writes no event: say on the timeline that EnigmaPay took it.
        transaction_note(transaction=payout, source=actor.source, actor=actor.label, raw_status=result.raw_status,
                         note=f"EnigmaPay accepted the payout{f' as #{external}' if external else ''}.")
    else:
        transition_apply(transaction=payout, to_status=status, source=actor.source, actor=actor.label,
                         raw_status=result.raw_status, from_provider=True, fields=fields,
                         note="EnigmaPay answered at once.")
    return payout


def payout_check_status(*, payout: Transaction, actor: Actor) -> Transaction:
    """Ask EnigmaPay what became of a payout and record it. Never sends money.

    With EnigmaPay's id, transaction-status is the authority; without it (the answer to
    send-money was lost), the payout is looked for by its reference in the IBAN
    transaction histories since the day it was made."""
    request = payout_status_ask(payout=payout, actor=actor)
    if request is not None:
        transition_apply_many([request])
    return payout


def payout_status_ask(*, payout: Transaction, actor: Actor) -> TransitionRequest | None:
    """The status call of ``payout_check_status`` and the change its answer asks for,
    not applied (a sync batch applies many in one database transaction); None when the
    answer was recorded here already (not found yet, a status Paydesk does not know)."""
    if payout.kind != Kind.PAYOUT:
        raise ValueError("not a payout")
    client = client_for(payout.connection)
    try:
        if payout.external_id:
            found = client.transaction_status(transaction_id=int(payout.external_id))
            external, status, raw = payout.external_id, found.status, found.raw_status
        else:
            match = _find_by_reference(client, payout)
            if match is None:
                _checked_not_found(payout, actor)
                return None
            external, status, raw = str(match.id), match.status, match.raw_status
    except ProviderError as e:
        _bump_sync(payout, note=e.message)
        raise
    if status == UNREADABLE:
        # A status word Paydesk does not know proves nothing: record it, change nothing.
        _bump_sync(payout, note="")
        transaction_note(transaction=payout, source=actor.source, actor=actor.label, raw_status=raw,
                         note=f"EnigmaPay answered a status Paydesk does not know ({raw!r}); asking again later.")
        payout.refresh_from_db()
        return None
    new = status_of(status)
    fields = {"external_id": external, **sync_fields(payout, final=new in FINAL_FROM_UPSTREAM)}
    return TransitionRequest(
        transaction=payout, to_status=new, source=actor.source, actor=actor.label, raw_status=raw,
        from_provider=True, fields=fields, note=f"EnigmaPay says {raw or new}.",
    )


def _find_by_reference(client, payout: Transaction):
    """The one withdrawal in the payout's IBAN histories that is this payout: its
    reference as Paydesk sent it, the same amount and the same customer IBAN. Anything
    else (a deposit quoting the reference, two candidates) is no answer: the payout stays
    unknown rather than be settled by a row that may not be it."""
    from payments.models import IbanAccount

    start = payout.created_at.date()
    accounts = list(IbanAccount.objects.filter(connection=payout.connection))
    if not accounts:  # never read yet: the history is per IBAN, so learn the IBANs first
        accounts = ibans_refresh(connection=payout.connection)
    iban = payout.payout.customer_iban
    matches = [
        row
        for account in accounts
        for row in client.iban_transactions(iban_id=account.external_id, start_date=start)
        if row.type == "withdrawal" and _carries_reference(row.description, payout.reference)
        and row.amount.amount == payout.amount and (row.customer_iban or "").replace(" ", "").upper() == iban
    ]
    return matches[0] if len(matches) == 1 else None


def _carries_reference(description: str | None, reference: str) -> bool:
    """Exactly as ``with_reference`` wrote it: the whole description, or ``[PD-…]`` at its end."""
    text = (description or "").strip()
    return text == reference or text.endswith(f"[{reference}]")


def _checked_not_found(payout: Transaction, actor: Actor) -> Transaction:
    """Not in any history yet: it may still appear (or never have arrived). Stay as is;
    only EnigmaPay's own answer may say failed."""
    first = payout.sync_attempts == 0 or actor.source != Actor.sync().source
    _bump_sync(payout, note="")
    if first:  # the timeline shows changes, not every poll: say it once, and when a person asks
        transaction_note(transaction=payout, source=actor.source, actor=actor.label,
                         note="EnigmaPay shows no payout with this reference yet; Paydesk will ask again.")
    payout.refresh_from_db()
    return payout


def _bump_sync(payout: Transaction, *, note: str) -> None:
    Transaction.objects.filter(pk=payout.pk).update(
        sync_attempts=payout.sync_attempts + 1, next_sync_at=_backoff(payout), last_error=note[:2000]
    )


def _backoff(payout: Transaction):
    """30 s, 1, 2, 4... minutes, capped at an hour."""
    seconds = min(3600, 30 * (2 ** min(payout.sync_attempts, 7)))
    return timezone.now() + timedelta(seconds=seconds)


# What an upstream answer can end in; a final answer stops the sync.
FINAL_FROM_UPSTREAM = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)


def sync_fields(tx: Transaction, *, final: bool) -> dict:
    """The sync columns after a status answer: one more attempt; asked again after the
    backoff, or never again (and no longer needing attention) once final."""
    fields = {"sync_attempts": tx.sync_attempts + 1, "next_sync_at": None if final else _backoff(tx)}
    if final:
        fields.update(needs_attention_since=None, attention_reason="")
    return fields


def status_of(upstream: str) -> str:
    if upstream == SUCCEEDED:
        return Status.SUCCEEDED
    if upstream == FAILED:
        return Status.FAILED
    if upstream == "cancelled":
        return Status.CANCELLED
    return Status.PENDING

