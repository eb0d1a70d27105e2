"""Payments resources of the API: IBANs and balances, transactions, payouts and payment
links. One view per operation; the rules of the shape are in config/api.py.

Views that call a provider opt out of the request transaction: a payout's pending row
and its idempotency key must be committed before send-money goes out (a concurrent
duplicate must see the key), and nothing holds a transaction open while EnigmaPay is
slow."""

from __future__ import annotations

from django.db import transaction
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import HasRole
from accounts.models import Role
from config.api import CursorPage, error_body, error_responses, provider_error_status
from payments.api import serializers
from payments.models import BalanceSnapshot, Kind, Status
from payments.selectors import enigmapay_connections, iban_get, ibans_for, transaction_filter, transaction_get
from payments.services.balances import ibans_refresh
from payments.services.common import Actor
from payments.services.idempotency import IdempotencyConflict, fingerprint_of, idempotent_call
from payments.services.links import payment_link_create
from payments.services.payouts import payout_check_status, payout_create

non_atomic = method_decorator(transaction.non_atomic_requests, name="dispatch")

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", location=OpenApiParameter.HEADER, required=True,
    description="Any unique string up to 255 characters (a UUID). The same key with the same body replays the "
                "first answer for 24 hours; with another body it is refused (idempotency_key_reused).",
)


class IdempotencyKeyMissing(exceptions.APIException):
    status_code = 400
    default_code = "idempotency_key_required"
    default_detail = "Send an Idempotency-Key header (a UUID) with every request that moves money."


class IdempotencyKeyConflict(exceptions.APIException):
    def __init__(self, conflict: IdempotencyConflict) -> None:
        self.status_code = 409 if conflict.code == "idempotency_key_in_use" else 422
        super().__init__(conflict.message, conflict.code)


def actor_of(request) -> Actor:
    return Actor.for_api_key(request.api_key) if request.api_key else Actor.for_user(request.user)


def enigmapay_connection(request, pk: int | None):
    connections = enigmapay_connections(merchant=request.merchant)
    if pk is None and connections.count() > 1:
        # A test and a live connection: which one moves the money is never guessed.
        raise exceptions.ValidationError({"connection": [
            "This merchant has more than one EnigmaPay connection: name the one to use (its id)."]})
    found = connections.filter(pk=pk).first() if pk else connections.first()
    if found is None:
        message = "No such EnigmaPay connection." if pk else "This merchant has no EnigmaPay connection."
        raise exceptions.ValidationError({"connection": [message]})
    return found


def transaction_answer(tx) -> tuple[int, dict]:
    """201 created, 202 outcome unknown (the transaction says so), 422 refused, with
    the error shape and the refused transaction's URL in ``Location``."""
    if tx.status == Status.FAILED:
        error = getattr(tx, "provider_error", None)
        code = provider_error_status(error) if error is not None else 422
        return code, error_body(code=tx.raw_status or "rejected", message=tx.last_error or "The provider refused it.")
    body = serializers.TransactionOutputSerializer(tx).data
    return (202 if tx.status == Status.UNKNOWN else 201), dict(body)


def _in_flight_answer(tx) -> tuple[int, dict]:
    """A retry while the first request with its key is still sending: the transaction
    as recorded so far, as 202 (not final yet, as far as this request knows)."""
    tx.refresh_from_db()
    code, body = transaction_answer(tx)
    return (202, body) if code == 201 else (code, body)


def idempotent(request, *, scope: str, data: dict, run) -> Response:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 255:
        raise IdempotencyKeyMissing()
    try:
        code, body, replayed = idempotent_call(
            merchant=request.merchant, key=key, scope=scope,
            fingerprint=fingerprint_of(method=request.method, path=request.path, body=data), run=run,
            answer_for=lambda tx: _in_flight_answer(tx),
        )
    except IdempotencyConflict as e:
        raise IdempotencyKeyConflict(e) from None
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(body, status=code, headers=headers)


# -- IBANs -----------------------------------------------------------------------------------
class IbanListApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="ibans_list", tags=["ibans"], summary="The merchant's EnigmaPay IBANs",
                   description="Balances as last read (`balance_at`); `POST /ibans/refresh/` reads them again.",
                   responses={200: serializers.IbanOutputSerializer(many=True), **error_responses()})
    def get(self, request):
        return Response(serializers.IbanOutputSerializer(ibans_for(merchant=request.merchant), many=True).data)


@non_atomic
class IbanRefreshApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="ibans_refresh", tags=["ibans"], summary="Read IBAN balances from EnigmaPay",
                   description="EnigmaPay recomputes balances once a minute, so within a minute of the last "
                               "read this answers the stored balances without asking.",
                   request=None, parameters=[OpenApiParameter("connection", int, required=False)],
                   responses={200: serializers.IbanOutputSerializer(many=True), **error_responses(400, 502, 503)})
    def post(self, request):
        connection = enigmapay_connection(request, _int_param(request, "connection"))
        ibans_refresh(connection=connection)
        ibans = [i for i in ibans_for(merchant=request.merchant) if i.connection_id == connection.pk]
        return Response(serializers.IbanOutputSerializer(ibans, many=True).data)


class BalanceCursor(CursorPage):
    ordering = ("-at", "-id")


class IbanBalanceListApi(generics.ListAPIView):
    permission_classes = [HasRole(Role.VIEWER)]
    serializer_class = serializers.BalanceOutputSerializer
    pagination_class = BalanceCursor

    def get_queryset(self):
        iban = iban_get(merchant=self.request.merchant, pk=self.kwargs["pk"])
        return BalanceSnapshot.objects.filter(iban=iban)

    @extend_schema(operation_id="ibans_balances", tags=["ibans"], summary="Balance history of one IBAN",
                   responses={200: serializers.BalanceOutputSerializer(many=True), **error_responses(404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# -- transactions ----------------------------------------------------------------------------
class TransactionCursor(CursorPage):
    ordering = ("-created_at", "-id")


class TransactionListApi(generics.ListAPIView):
    """The list page's filters, through the same FilterSet (payments/filters.py)."""

    permission_classes = [HasRole(Role.VIEWER)]
    serializer_class = serializers.TransactionOutputSerializer
    pagination_class = TransactionCursor

    def get_queryset(self):
        found = transaction_filter(merchant=self.request.merchant, data=self.request.query_params)
        if not found.is_valid():
            raise exceptions.ValidationError(found.errors)
        return found.qs

    @extend_schema(
        operation_id="transactions_list", tags=["transactions"], summary="The merchant's transactions",
        description="Newest first, keyset pages (`next` / `previous` cursors). `q` matches a whole reference, "
                    "external id, IBAN, email or phone. Dates are whole days (YYYY-MM-DD).",
        parameters=[
            OpenApiParameter("q", str), OpenApiParameter("provider", str), OpenApiParameter("kind", str),
            OpenApiParameter("status", str), OpenApiParameter("created_from", OpenApiTypes.DATE),
            OpenApiParameter("created_to", OpenApiTypes.DATE), OpenApiParameter("amount_min", str),
            OpenApiParameter("amount_max", str),
            OpenApiParameter("limit", int, description="Rows per page, at most 200"),
        ],
        responses={200: serializers.TransactionOutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TransactionDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="transactions_retrieve", tags=["transactions"],
                   summary="One transaction with its event timeline",
                   responses={200: serializers.TransactionDetailOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        tx = transaction_get(merchant=request.merchant, pk=pk)
        return Response(serializers.TransactionDetailOutputSerializer(tx).data)


# -- payouts ---------------------------------------------------------------------------------
@non_atomic
class PayoutCreateApi(APIView):
    permission_classes = [HasRole(Role.MANAGER)]

    @extend_schema(
        operation_id="payouts_create", tags=["payouts"], summary="Pay out to a customer's IBAN (EnigmaPay)",
        description="Sent to EnigmaPay once. 201: accepted (pending) or already completed. 202: EnigmaPay did "
                    "not confirm in time; the payout is `unknown` and Paydesk resolves it with EnigmaPay's status "
                    "call; it is never sent again. 422: refused (the reason in `message`; `Location` names the "
                    "stored, failed payout).",
        parameters=[IDEMPOTENCY_HEADER], request=serializers.PayoutCreateInputSerializer,
        responses={201: serializers.TransactionOutputSerializer, 202: serializers.TransactionOutputSerializer,
                   **error_responses(400, 409, 422, 502, 503)},
    )
    def post(self, request):
        return money_post(request, serializers.PayoutCreateInputSerializer, scope="api:payouts", create=payout_create)


class PayoutDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="payouts_retrieve", tags=["payouts"], summary="One payout with its timeline",
                   responses={200: serializers.TransactionDetailOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        tx = _of_kind(request, pk, Kind.PAYOUT)
        return Response(serializers.TransactionDetailOutputSerializer(tx).data)


@non_atomic
class PayoutCheckStatusApi(APIView):
    permission_classes = [HasRole(Role.MANAGER)]

    @extend_schema(operation_id="payouts_check_status", tags=["payouts"],
                   summary="Ask EnigmaPay what became of a payout", request=None,
                   description="Never sends money. Resolves an `unknown` payout from EnigmaPay's own answer.",
                   responses={200: serializers.TransactionDetailOutputSerializer,
                              **error_responses(404, 502, 503)})
    def post(self, request, pk: int):
        tx = _of_kind(request, pk, Kind.PAYOUT)
        payout_check_status(payout=tx, actor=actor_of(request))
        return Response(serializers.TransactionDetailOutputSerializer(transaction_get(
            merchant=request.merchant, pk=pk)).data)


# -- payment links ---------------------------------------------------------------------------
@non_atomic
class PaymentLinkCreateApi(APIView):
    permission_classes = [HasRole(Role.MANAGER)]

    @extend_schema(
        operation_id="payment_links_create", tags=["payment-links"],
        summary="Create a card payment link (EnigmaPay, at least 200.00 TRY)",
        description="The answer's `payment_link.payment_url` is the page to send to the customer.",
        parameters=[IDEMPOTENCY_HEADER], request=serializers.PaymentLinkCreateInputSerializer,
        responses={201: serializers.TransactionOutputSerializer, **error_responses(400, 409, 422, 502, 503)},
    )
    def post(self, request):
        return money_post(request, serializers.PaymentLinkCreateInputSerializer, scope="api:payment-links",
                          create=payment_link_create)


class PaymentLinkDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="payment_links_retrieve", tags=["payment-links"], summary="One payment link",
                   responses={200: serializers.TransactionDetailOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        tx = _of_kind(request, pk, Kind.PAYMENT_LINK)
        return Response(serializers.TransactionDetailOutputSerializer(tx).data)


# -- helpers ---------------------------------------------------------------------------------
def money_post(request, input_serializer, *, scope: str, create) -> Response:
    """The shape of every POST that makes a transaction on an EnigmaPay connection: parse,
    pick the connection, run the service once per Idempotency-Key, name the result."""
    data = _valid(input_serializer, request)
    connection = enigmapay_connection(request, data.pop("connection", None))

    def run(link):
        tx = create(connection=connection, actor=actor_of(request), on_created=link, **data)
        return transaction_answer(tx)

    response = idempotent(request, scope=scope, data={"connection": connection.pk, **data}, run=run)
    return _with_location(response, request)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _of_kind(request, pk: int, kind: str):
    tx = transaction_get(merchant=request.merchant, pk=pk)
    if tx.kind != kind:
        raise exceptions.NotFound()
    return tx


def _int_param(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None and isinstance(request.data, dict):
        value = request.data.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exceptions.ValidationError({name: ["A whole number is required."]}) from None


def _with_location(response: Response, request) -> Response:
    """The stored transaction's URL, on every answer that made one (failed ones too)."""
    from payments.models import IdempotencyKey

    key = request.headers.get("Idempotency-Key", "").strip()
    tx_id = IdempotencyKey.objects.filter(merchant=request.merchant, key=key).values_list(
        "transaction_id", flat=True).first()
    if tx_id:
        response["Location"] = f"/api/v1/transactions/{tx_id}/"
    return response


