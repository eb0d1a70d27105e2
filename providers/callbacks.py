"""Receiving provider callbacks (EnigmaPay status, Vospay notify, EnKash notify).

Policy: store first, answer at once, never trust. A callback is looked up by the
connection's unguessable token (an unknown token is a 404 and stores nothing), saved
with its headers and body, and answered the way its provider wants (EnigmaPay: HTTP 200
with ``{"success": true}``). The same body again is a replay: it is counted on the
stored event, not stored twice. Applying a callback (after confirming the status with
the provider) is a task's job, never the request's.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from providers.base.redaction import is_sensitive_key, scrub
from providers.crypto import DecryptionError
from providers.models import ProviderConnection, WebhookEvent

MAX_BODY_BYTES = 64 * 1024

# What each provider expects back; any 200 will do for those whose docs say nothing.
ACKNOWLEDGEMENTS = {"enigmapay": {"success": True}}
DEFAULT_ACKNOWLEDGEMENT = {"received": True}

# Transport and cookie headers tell nothing about the callback and may carry session data.
_DROPPED_HEADERS = {"cookie", "connection", "keep-alive", "transfer-encoding"}


def callback_acknowledgement(provider: str) -> dict:
    return ACKNOWLEDGEMENTS.get(provider, DEFAULT_ACKNOWLEDGEMENT)


def _stored_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: ("[redacted]" if is_sensitive_key(name) else value)
        for name, value in headers.items()
        if name.lower() not in _DROPPED_HEADERS
    }


def _stored_body(connection: ProviderConnection, body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    try:
        secrets = list(connection.credentials.values())
    except DecryptionError:  # unreadable credentials must not lose the callback
        secrets = []
    return scrub(text, secrets)


def webhook_event_receive(
    *, connection: ProviderConnection, headers: dict[str, str], body: bytes, remote_addr: str | None
) -> tuple[WebhookEvent, bool]:
    """Store a callback for ``connection``; returns the event and whether it is new."""
    digest = hashlib.sha256(body).hexdigest()
    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(
            connection=connection,
            body_sha256=digest,
            defaults={
                "provider": connection.provider,
                "headers": _stored_headers(headers),
                "body": _stored_body(connection, body),
                "remote_addr": remote_addr,
            },
        )
        if not created:
            WebhookEvent.objects.filter(pk=event.pk).update(
                times_received=F("times_received") + 1, last_received_at=timezone.now()
            )
            event.refresh_from_db()
    return event, created
