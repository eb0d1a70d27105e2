"""The callback URL: look the connection up by its token, store, queue, answer.

The lookup is cached in the process for ``CONNECTION_CACHE_SECONDS`` (DESIGN.md: "the
connection found by token in one indexed read or a short-lived cache"): providers
retry and burst, and one read per delivery was a third of the view's time. Ten
seconds is the most a change can lag: a deleted connection's callbacks still answer
404 (the insert's foreign key fails and the entry is dropped), and rotated
credentials are used for masking within ten seconds."""

from __future__ import annotations

import threading
import time

from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from providers.callbacks import (
    MAX_BODY_BYTES,
    callback_acknowledgement,
    webhook_event_hand_over,
    webhook_event_receive,
)
from providers.models import ProviderConnection

CONNECTION_CACHE_SECONDS = 10.0
_CACHE_MAX = 4096
_cache: dict[tuple[str, str], tuple[float, ProviderConnection]] = {}
_cache_lock = threading.Lock()


def _connection(provider: str, token: str) -> ProviderConnection:
    key, now = (provider, token), time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    try:
        # .get(), not .first(): no ORDER BY (the model orders by merchant name, a join).
        connection = ProviderConnection.objects.get(callback_token=token, provider=provider)
    except ProviderConnection.DoesNotExist:
        raise Http404("No such callback URL.") from None
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:  # unknown tokens are never cached, so this is rare
            _cache.clear()
        _cache[key] = (now + CONNECTION_CACHE_SECONDS, connection)
    return connection


def _forget(provider: str, token: str) -> None:
    with _cache_lock:
        _cache.pop((provider, token), None)


# Outside the request transaction: the store is one statement (atomic on its own), and
# the callback URL is the hot path (DESIGN.md, "Sync and callbacks").
@transaction.non_atomic_requests
@csrf_exempt  # providers cannot send a CSRF token; the unguessable URL token stands in
@require_POST
def callback_receive(request, provider: str, token: str):
    connection = _connection(provider, token)
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse({"success": False, "message": "Callback body too large."}, status=413)
    try:
        receipt = webhook_event_receive(
            connection=connection,
            headers=dict(request.headers),
            body=body,
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
    except IntegrityError:  # the cached connection was deleted since
        _forget(provider, token)
        raise Http404("No such callback URL.") from None
    if receipt.needs_applying:
        # Committed already (autocommit): handed to this process's outbox, which sends
        # the ids of many deliveries as one message a moment later.
        webhook_event_hand_over(event_id=receipt.event_id)
    return JsonResponse(callback_acknowledgement(provider))
