from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from providers.callbacks import MAX_BODY_BYTES, callback_acknowledgement, webhook_event_receive
from providers.models import ProviderConnection


@csrf_exempt  # providers cannot send a CSRF token; the unguessable URL token stands in
@require_POST
def callback_receive(request, provider: str, token: str):
    connection = ProviderConnection.objects.filter(callback_token=token, provider=provider).first()
    if connection is None:
        raise Http404("No such callback URL.")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse({"success": False, "message": "Callback body too large."}, status=413)
    webhook_event_receive(
        connection=connection,
        headers=dict(request.headers),
        body=body,
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    return JsonResponse(callback_acknowledgement(provider))
