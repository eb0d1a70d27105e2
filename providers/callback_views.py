from django.db import transaction
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from providers.callbacks import (
    MAX_BODY_BYTES,
    callback_acknowledgement,
    webhook_event_enqueue,
    webhook_event_receive,
)
from providers.models import ProviderConnection


# Outside the request transaction: the store is one statement (atomic on its own), and
# the callback URL is the hot path (DESIGN.md, "Sync and callbacks").
@transaction.non_atomic_requests
@csrf_exempt  # providers cannot send a CSRF token; the unguessable URL token stands in
@require_POST
def callback_receive(request, provider: str, token: str):
    try:
        # .get(), not .first(): no ORDER BY (the model orders by merchant name, a join).
        connection = ProviderConnection.objects.get(callback_token=token, provider=provider)
    except ProviderConnection.DoesNotExist:
        raise Http404("No such callback URL.") from None
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse({"success": False, "message": "Callback body too large."}, status=413)
    receipt = webhook_event_receive(
        connection=connection,
        headers=dict(request.headers),
        body=body,
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    if receipt.needs_applying:
        # In autocommit here, so "on commit" is now: the row is visible to the worker.
        webhook_event_enqueue(event_id=receipt.event_id)
    return JsonResponse(callback_acknowledgement(provider))
