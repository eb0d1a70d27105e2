"""Idempotency: an API ``Idempotency-Key`` or a page's one-time form token makes a
request that moves money happen once, however often or concurrently it arrives.

The unique (merchant, key) row is inserted *before* the work starts, in its own
committed statement: of two concurrent requests with one key, exactly one insert
succeeds; the other sees the row and either replays the stored answer (same body, work
finished), answers "in use" (same body, still running) or "reused" (another body).
Answers are replayed for 24 hours; after that the key may be used afresh."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import IdempotencyKey, Transaction

REPLAY_WINDOW = timedelta(hours=24)
Linker = Callable[[Transaction], None]
FORM_PREFIX = "form:"


class IdempotencyConflict(Exception):
    """``code`` is idempotency_key_reused (another request) or idempotency_key_in_use."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Replayed:
    status: int
    body: dict


def fingerprint_of(*, method: str, path: str, body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotent_call(
    *, merchant, key: str, scope: str, fingerprint: str, run: Callable[[Linker], tuple[int, dict]],
    answer_for: Callable[[Transaction], tuple[int, dict]],
) -> tuple[int, dict, bool]:
    """Run ``run`` once per (merchant, key). ``run`` gets a ``link(tx)`` callback to call
    as soon as its transaction row exists. ``answer_for(tx)`` answers a retry that comes
    while the first request, having made its transaction, has not finished (or never
    will: its process died): the transaction as it stands. Returns (status, body, replayed)."""
    claimed = _claim(merchant=merchant, key=key, scope=scope, fingerprint=fingerprint, answer_for=answer_for)
    if isinstance(claimed, Replayed):
        return claimed.status, claimed.body, True

    def link(tx: Transaction) -> None:
        IdempotencyKey.objects.filter(pk=claimed.pk).update(transaction=tx)

    try:
        status, body = run(link)
    except Exception:
        # Nothing to replay: free the key, unless a transaction was recorded (then money
        # may have moved, and the key must keep pointing at it).
        if not IdempotencyKey.objects.filter(pk=claimed.pk, transaction__isnull=False).exists():
            IdempotencyKey.objects.filter(pk=claimed.pk).delete()
        raise
    IdempotencyKey.objects.filter(pk=claimed.pk).update(
        response_status=status, response_body=body, completed_at=timezone.now()
    )
    return status, body, False


def _claim(*, merchant, key: str, scope: str, fingerprint: str, answer_for) -> IdempotencyKey | Replayed:
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(merchant=merchant, key=key, scope=scope, fingerprint=fingerprint)
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.select_related("transaction").filter(merchant=merchant, key=key).first()
        if existing is None:
            continue  # it expired and was removed between our insert and our read
        if existing.created_at < timezone.now() - REPLAY_WINDOW and existing.transaction_id is None:
            # Expired, and it made nothing: the key is free again. A key that made a
            # transaction is never freed: reusing it must not move money a second time.
            IdempotencyKey.objects.filter(pk=existing.pk, transaction__isnull=True).delete()
            continue
        if existing.fingerprint != fingerprint or existing.scope != scope:
            raise IdempotencyConflict(
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request. Use a new key for a new request.",
            )
        if existing.completed_at is None and existing.transaction is not None:
            return Replayed(*answer_for(existing.transaction))
        if existing.completed_at is None:
            raise IdempotencyConflict(
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still being processed. Retry in a moment.",
            )
        return Replayed(existing.response_status, existing.response_body)
    raise IdempotencyConflict("idempotency_key_in_use", "Retry in a moment.")


# -- one-time form tokens ---------------------------------------------------------------
def form_token_issue(*, merchant, scope: str) -> str:
    """A token for one form, issued when the form is first shown. It travels through the
    confirmation and the send; reloading or resubmitting the confirmation keeps the same
    token, so however the pages are replayed, the token sends once."""
    token = secrets.token_urlsafe(24)
    IdempotencyKey.objects.create(merchant=merchant, key=FORM_PREFIX + token, scope=scope, fingerprint="")
    return token


def form_token_bind(*, merchant, token: str, scope: str, details: dict) -> FormClaim:
    """Bind an unused token to the details its confirmation page shows (again, if they
    were edited). A token already used claims nothing and names what it made."""
    rows = IdempotencyKey.objects.filter(
        merchant=merchant, key=FORM_PREFIX + (token or ""), scope=scope,
        created_at__gte=timezone.now() - REPLAY_WINDOW,
    )
    bound = rows.filter(completed_at__isnull=True).update(
        fingerprint=fingerprint_of(method="FORM", path=scope, body=details)
    )
    if bound == 1:
        return FormClaim(rows.get(), None)
    used = rows.select_related("transaction").first()
    if used is None:
        return FormClaim(None, None)
    return FormClaim(None, used.transaction, in_flight=used.transaction is None)


def form_token_release(*, claim: FormClaim) -> None:
    """Give back a claimed token that made nothing (the details no longer passed)."""
    IdempotencyKey.objects.filter(pk=claim.token_row.pk, transaction__isnull=True).update(completed_at=None)


@dataclass(frozen=True)
class FormClaim:
    token_row: IdempotencyKey | None
    already: Transaction | None  # the transaction a previous submit made with this token
    in_flight: bool = False

    @property
    def won(self) -> bool:
        return self.token_row is not None


def form_token_claim(*, merchant, token: str, scope: str, details: dict) -> FormClaim:
    """Claim a form token for one submit (one conditional UPDATE: a double submit or a
    reload loses). Unknown or expired tokens, another merchant's, or details other than
    those the confirmation showed, claim nothing."""
    rows = IdempotencyKey.objects.filter(
        merchant=merchant, key=FORM_PREFIX + (token or ""), scope=scope,
        fingerprint=fingerprint_of(method="FORM", path=scope, body=details),
        created_at__gte=timezone.now() - REPLAY_WINDOW,
    )
    if rows.filter(completed_at__isnull=True).update(completed_at=timezone.now()) == 1:
        return FormClaim(rows.get(), None)
    used = rows.select_related("transaction").first()
    if used is None:
        return FormClaim(None, None)
    return FormClaim(None, used.transaction, in_flight=used.transaction is None)


def form_token_link(*, claim: FormClaim, transaction_obj: Transaction) -> None:
    IdempotencyKey.objects.filter(pk=claim.token_row.pk).update(transaction=transaction_obj)
