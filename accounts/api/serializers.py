"""Small output and input serializers, one set per operation (no logic here)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from accounts.models import Role
from providers.models import ProviderConnection, WebhookEvent
from providers.registry import PROVIDER_CHOICES

CONNECTION_EXAMPLE = {
    "id": 7,
    "provider": "enigmapay",
    "mode": "test",
    "base_url": "http://127.0.0.1:8100/enigmapay/api/dealer",
    "status": "healthy",
    "last_checked_at": "2026-11-21T09:30:00Z",
    "last_error": "",
    "credential_names": ["api_key", "secret_key"],
    "callback_url": "https://paydesk.example/callbacks/enigmapay/4kF2…/",
    "created_at": "2026-11-20T12:00:00Z",
    "updated_at": "2026-11-21T09:30:00Z",
}


@extend_schema_serializer(examples=[OpenApiExample("A connection", value=CONNECTION_EXAMPLE, response_only=True)])
class ConnectionOutputSerializer(serializers.ModelSerializer):
    """A provider connection. Credentials are never in the API: only their names."""

    credential_names = serializers.SerializerMethodField()
    callback_url = serializers.SerializerMethodField()

    class Meta:
        model = ProviderConnection
        fields = [
            "id", "provider", "mode", "base_url", "status", "last_checked_at", "last_error",
            "credential_names", "callback_url", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_credential_names(self, connection: ProviderConnection) -> list[str]:
        return sorted(name for name in connection.masked_credentials() if not name.startswith("("))

    def get_callback_url(self, connection: ProviderConnection) -> str | None:
        """Owners only (as on the page): the token in it is all that guards the URL, so a
        viewer or an API key (never an owner) gets null."""
        request = self.context.get("request")
        if getattr(request, "role", None) != Role.OWNER:
            return None
        return settings.PAYDESK_PUBLIC_URL.rstrip("/") + connection.callback_path()


class ConnectionTestInputSerializer(serializers.Serializer):
    """No fields: the body may be empty or ``{}``. Read anyway, so that a malformed
    body is a 400 rather than silently ignored."""


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Connection works",
            value={"ok": True, "message": "Connection works.", "connection": CONNECTION_EXAMPLE},
            response_only=True,
        ),
        OpenApiExample(
            "Credentials refused",
            value={
                "ok": False,
                "message": "The payment provider did not accept the connection's credentials.",
                "connection": {**CONNECTION_EXAMPLE, "status": "failing",
                               "last_error": "The payment provider did not accept the connection's credentials."},
            },
            response_only=True,
        ),
    ]
)
class ConnectionTestOutputSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Whether the provider answered the authenticated check call.")
    message = serializers.CharField(help_text="What happened, as a plain sentence.")
    connection = ConnectionOutputSerializer(help_text="The connection with its new status.")


WEBHOOK_EVENT_EXAMPLE = {
    "id": 42,
    "connection": 7,
    "provider": "enigmapay",
    "received_at": "2026-11-21T09:31:00Z",
    "last_received_at": "2026-11-21T09:31:05Z",
    "times_received": 2,
    "trusted": False,
    "processing": "pending",
    "processed_at": None,
    "error": "",
    "attempts": 0,
    "outcome": "",
    "body": '{"transactionId": "TX123", "status": "COMPLETED", "amount": 500.00}',
}


@extend_schema_serializer(examples=[OpenApiExample("A callback", value=WEBHOOK_EVENT_EXAMPLE, response_only=True)])
class WebhookEventOutputSerializer(serializers.ModelSerializer):
    """A callback as received (card numbers and the connection's secrets masked).
    Untrusted until Paydesk confirmed it with the provider."""

    class Meta:
        model = WebhookEvent
        fields = [
            "id", "connection", "provider", "received_at", "last_received_at", "times_received", "trusted",
            "processing", "processed_at", "error", "attempts", "outcome", "body",
        ]
        read_only_fields = fields


class WebhookEventReprocessInputSerializer(serializers.Serializer):
    """No fields: the event is in the URL."""


class WebhookEventFilterSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=PROVIDER_CHOICES, required=False)
    processing = serializers.ChoiceField(choices=WebhookEvent.Processing.choices, required=False)
