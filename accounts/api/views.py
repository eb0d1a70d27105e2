"""Settings resources of the API: provider connections (read, test) and the callbacks
received on them (read, re-run). One view per operation; see config/api.py for the rules."""

from __future__ import annotations

from django.db import transaction
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers
from accounts.api.permissions import HasRole
from accounts.models import Role
from config.api import CursorPage, error_responses
from providers.callbacks import ReprocessRefused, webhook_event_reprocess
from providers.selectors import connection_get, connections_for, webhook_event_get, webhook_events_for
from providers.services import connection_test


class ConnectionListApi(APIView):
    # A merchant has at most one connection per provider and mode: no pagination.
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(
        operation_id="connections_list",
        tags=["connections"],
        summary="List the merchant's provider connections",
        responses={200: serializers.ConnectionOutputSerializer(many=True), **error_responses()},
    )
    def get(self, request):
        connections = connections_for(merchant=request.merchant)
        output = serializers.ConnectionOutputSerializer(connections, many=True, context={"request": request})
        return Response(output.data)


class ConnectionDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(
        operation_id="connections_retrieve",
        tags=["connections"],
        summary="One provider connection",
        responses={200: serializers.ConnectionOutputSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        connection = connection_get(merchant=request.merchant, pk=pk)
        return Response(serializers.ConnectionOutputSerializer(connection, context={"request": request}).data)


# No database transaction is held open while the provider answers.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class ConnectionTestApi(APIView):
    """Owners only, as on the page; API keys never act as owners, so this is for the
    dashboard's session calls."""

    permission_classes = [HasRole(Role.OWNER)]

    @extend_schema(
        operation_id="connections_test",
        tags=["connections"],
        summary="Test a connection with one authenticated call to the provider",
        description="Records the outcome on the connection (status, last check, last error). A provider "
        "that refuses or does not answer is a 200 with `ok: false`: the test itself worked.",
        request=serializers.ConnectionTestInputSerializer,
        responses={200: serializers.ConnectionTestOutputSerializer, **error_responses(400, 404)},
    )
    def post(self, request, pk: int):
        serializers.ConnectionTestInputSerializer(data=request.data).is_valid(raise_exception=True)
        connection = connection_get(merchant=request.merchant, pk=pk)
        result = connection_test(connection=connection)
        output = {"ok": result.ok, "message": result.message, "connection": connection}
        return Response(serializers.ConnectionTestOutputSerializer(output, context={"request": request}).data)


class WebhookEventCursor(CursorPage):
    ordering = ("-received_at", "-id")


class WebhookEventListApi(generics.ListAPIView):
    permission_classes = [HasRole(Role.VIEWER)]
    serializer_class = serializers.WebhookEventOutputSerializer
    pagination_class = WebhookEventCursor

    @extend_schema(
        operation_id="webhook_events_list",
        tags=["webhook-events"],
        summary="Callbacks received from the providers, newest first",
        parameters=[
            serializers.WebhookEventFilterSerializer,
            OpenApiParameter("limit", int, description="Page size, at most 200 (default 50)."),
        ],
        responses={200: serializers.WebhookEventOutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = serializers.WebhookEventFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return webhook_events_for(merchant=self.request.merchant).filter(**filters.validated_data)


class WebhookEventDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(
        operation_id="webhook_events_retrieve",
        tags=["webhook-events"],
        summary="One received callback",
        responses={200: serializers.WebhookEventOutputSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        event = webhook_event_get(merchant=request.merchant, pk=pk)
        return Response(serializers.WebhookEventOutputSerializer(event).data)


class CallbackBusy(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "callback_busy"
    default_detail = "This callback is being processed right now; try again in a moment."


class WebhookEventReprocessApi(APIView):
    """Owners and managers: a re-run may move a transaction (once the provider confirms)."""

    permission_classes = [HasRole(Role.MANAGER)]

    @extend_schema(
        operation_id="webhook_events_reprocess",
        tags=["webhook-events"],
        summary="Run a received callback again",
        description="Puts the callback back to `pending` and queues it: Paydesk confirms it with the provider "
        "again and applies what the provider confirms. Safe to repeat: a transaction never moves twice for one "
        "callback. 202 with the event as it now stands; 409 `callback_busy` while a worker is processing it.",
        request=serializers.WebhookEventReprocessInputSerializer,
        responses={
            202: OpenApiResponse(serializers.WebhookEventOutputSerializer, description="Queued again", examples=[
                OpenApiExample("Queued again", response_only=True, status_codes=["202"],
                               value={**serializers.WEBHOOK_EVENT_EXAMPLE, "attempts": 1})]),
            **error_responses(400, 403, 404, 409),
        },
    )
    def post(self, request, pk: int):
        serializers.WebhookEventReprocessInputSerializer(data=request.data).is_valid(raise_exception=True)
        event = webhook_event_get(merchant=request.merchant, pk=pk)
        try:
            event = webhook_event_reprocess(event=event)
        except ReprocessRefused as e:
            raise CallbackBusy(str(e)) from None
        return Response(serializers.WebhookEventOutputSerializer(event).data, status=status.HTTP_202_ACCEPTED)
