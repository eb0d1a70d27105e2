"""The ``orders`` resource of the API (any provider that takes orders: EnKash, Vospay)
and EnKash's order actions; routes in payments/api/enkash_urls.py.

``POST /orders/`` creates the order with the chosen connection's provider: the handler
registered for it in ``payments.api.orders_registry`` reads its own body (EnKash's is
below). Every POST that moves money or makes an order takes ``Idempotency-Key``.
Refunds of EnKash payments go through ``payments/<id>/refund/`` (refunds.refund_create),
not through here."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import HasRole
from accounts.models import Role
from config.api import CursorPage, error_body, error_responses, provider_error_status
from payments.api.orders_registry import handler_for, order_create_handler
from payments.api.serializers import AmountField, EventOutputSerializer
from payments.api.views import IDEMPOTENCY_HEADER, actor_of, idempotent, non_atomic, transaction_answer
from payments.api.vospay import ORDER_EXAMPLE as VOSPAY_ORDER_EXAMPLE
from payments.api.vospay import VospayOrderCreateInputSerializer, VospayOrderOutputSerializer
from payments.models import Kind, Status, Transaction
from payments.order_filters import ORDER_PROVIDERS, order_filter
from payments.services.enkash import order_create, order_refresh, payment_submit, refund_totals
from providers.models import ProviderConnection


# -- output ----------------------------------------------------------------------------------
class EnKashOrderDetailSerializer(serializers.Serializer):
    order_id = serializers.CharField()
    enkash_order_id = serializers.CharField()
    customer_first_name = serializers.CharField()
    customer_last_name = serializers.CharField()
    customer_email = serializers.CharField()
    customer_phone = serializers.CharField()
    return_url = serializers.CharField()
    checkout_url = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class OrderRefundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    raw_status = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()
    request_id = serializers.SerializerMethodField()
    external_id = serializers.CharField(help_text="EnKash's refundId, once known")
    description = serializers.CharField(help_text="The remarks sent with it")
    created_at = serializers.DateTimeField()

    def get_request_id(self, tx) -> str:
        detail = getattr(tx, "enkash_refund", None)
        return detail.request_id if detail else ""


PAYMENT_EXAMPLE = {
    "id": 52, "reference": "PD-9XK2LM4QRT", "status": "pending", "raw_status": "PENDING_WITH_BANK",
    "amount": "1250.50", "currency": "INR", "external_id": "EKT000000000013", "payment_mode": "UPI",
    "masked_card": "", "last_error": "", "refunded_amount": "0.00", "refunds_in_progress": "0.00",
    "remaining_refundable": "0.00", "refunds": [], "created_at": "2026-12-02T10:16:00Z",
}


@extend_schema_serializer(examples=[
    OpenApiExample("A UPI collect request, pending with the bank", value=PAYMENT_EXAMPLE, response_only=True,
                   status_codes=["201"]),
    OpenApiExample("Not confirmed in time: unknown", response_only=True, status_codes=["202"],
                   value={**PAYMENT_EXAMPLE, "status": "unknown", "raw_status": "", "external_id": ""}),
])
class OrderPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    raw_status = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()
    external_id = serializers.CharField(help_text="EnKash's transactionId")
    payment_mode = serializers.SerializerMethodField()
    masked_card = serializers.SerializerMethodField()
    last_error = serializers.CharField()
    refunded_amount = serializers.SerializerMethodField()
    refunds_in_progress = serializers.SerializerMethodField()
    remaining_refundable = serializers.SerializerMethodField()
    refunds = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def _detail(self, tx):
        return getattr(tx, "enkash_payment", None) if tx.provider == "enkash" else None

    def get_payment_mode(self, tx) -> str:
        detail = self._detail(tx)
        return detail.payment_mode if detail else ""

    def get_masked_card(self, tx) -> str:
        detail = self._detail(tx)
        return detail.masked_card if detail else ""

    def _totals(self, tx) -> dict:
        if not hasattr(tx, "_refund_totals"):
            tx._refund_totals = refund_totals(tx)
        return tx._refund_totals

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_refunded_amount(self, tx) -> str:
        return f"{self._totals(tx)['refunded']:.2f}"

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_refunds_in_progress(self, tx) -> str:
        return f"{self._totals(tx)['in_progress']:.2f}"

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_remaining_refundable(self, tx) -> str:
        return f"{self._totals(tx)['remaining']:.2f}"

    def get_refunds(self, tx) -> list[dict]:
        refunds = tx.children.filter(kind=Kind.REFUND).select_related("enkash_refund").order_by("created_at", "id")
        return OrderRefundSerializer(refunds, many=True).data


ORDER_EXAMPLE = {
    "id": 51, "reference": "PD-7KQ2LM9XRT", "provider": "enkash", "status": "pending", "raw_status": "CREATED",
    "amount": "1250.50", "currency": "INR", "external_id": "PD7KQ2LM9XRT", "description": "Two notebooks",
    "connection": 4, "created_at": "2026-12-02T10:15:00Z", "updated_at": "2026-12-02T10:15:01Z", "last_error": "",
    "enkash": {"order_id": "PD7KQ2LM9XRT", "enkash_order_id": "EKO000000000012", "customer_first_name": "Asha",
               "customer_last_name": "Rao", "customer_email": "asha@example.com", "customer_phone": "9876543210",
               "return_url": "https://shop.example/return",
               "checkout_url": "https://pay.enkash.example/pay/checkout/EKO000000000012",
               "expires_at": "2026-12-02T10:45:00Z"},
    "payments": [],
}


@extend_schema_serializer(examples=[
    OpenApiExample("A new EnKash order", value=ORDER_EXAMPLE, response_only=True, status_codes=["200", "201"]),
    OpenApiExample("Not confirmed in time: unknown, being asked about", response_only=True, status_codes=["202"],
                   value={**ORDER_EXAMPLE, "status": "unknown", "raw_status": ""}),
])
class OrderOutputSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True)
    enkash = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = ("id", "reference", "provider", "status", "raw_status", "amount", "currency", "external_id",
                  "description", "connection", "created_at", "updated_at", "last_error", "enkash", "payments")
        read_only_fields = fields

    def get_enkash(self, tx) -> dict | None:
        detail = getattr(tx, "enkash_order", None) if tx.provider == "enkash" else None
        return EnKashOrderDetailSerializer(detail).data if detail else None

    def get_payments(self, tx) -> list[dict]:
        payments = tx.children.filter(kind=Kind.PAYMENT).select_related("enkash_payment").order_by("-created_at", "-id")
        return OrderPaymentSerializer(payments, many=True).data


EVENT = {"at": "2026-12-02T10:15:00Z", "source": "api_key", "actor": "API key shop", "from_status": "",
         "to_status": "pending", "raw_status": "", "note": "Order recorded as PD7KQ2LM9XRT; creating it at EnKash."}


@extend_schema_serializer(examples=[OpenApiExample("An order and its timeline", response_only=True,
                                                   value={**ORDER_EXAMPLE, "events": [EVENT]})])
class OrderDetailOutputSerializer(OrderOutputSerializer):
    events = EventOutputSerializer(many=True, read_only=True)

    class Meta(OrderOutputSerializer.Meta):
        fields = (*OrderOutputSerializer.Meta.fields, "events")
        read_only_fields = fields


# -- input -----------------------------------------------------------------------------------
@extend_schema_serializer(examples=[OpenApiExample("An EnKash order", request_only=True, value={
    "connection": 4, "amount": "1250.50", "customer_first_name": "Asha", "customer_last_name": "Rao",
    "customer_email": "asha@example.com", "customer_phone": "9876543210", "description": "Two notebooks",
    "return_url": "https://shop.example/return"})])
class EnKashOrderCreateInputSerializer(serializers.Serializer):
    connection = serializers.IntegerField(required=False, help_text="The connection's id; required when the "
                                                                    "merchant has more than one that takes orders")
    amount = AmountField(max_length=20, help_text='INR, as a string with at most 2 decimals: "1250.50"')
    customer_first_name = serializers.CharField(max_length=100)
    customer_last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    customer_email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    customer_phone = serializers.CharField(max_length=16, required=False, allow_blank=True, default="",
                                           help_text="A 10-digit Indian mobile number")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    return_url = serializers.CharField(max_length=500, help_text="Where EnKash sends the customer after paying")


class OrderCreateInputSerializer(serializers.Serializer):
    """For the schema: the fields every provider's body shares; EnKash's are above."""

    connection = serializers.IntegerField(required=False)


@extend_schema_serializer(examples=[OpenApiExample("A UPI collect request", request_only=True,
                                                   value={"payment_mode": "UPI", "vpa": "asha@okbank"})])
class PaymentDetailInputSerializer(serializers.Serializer):
    payment_mode = serializers.ChoiceField(choices=["UPI", "NET_BANKING"],
                                           help_text="Card modes are entered by the payer on the checkout only")
    vpa = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    bank_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    account_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    ifsc = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")


# -- views -----------------------------------------------------------------------------------
def _polymorphic(name: str, *parts) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(component_name=name, serializers=list(parts), resource_type_field_name=None)


_ORDER_CREATE_BODIES = _polymorphic("OrderCreateInput", EnKashOrderCreateInputSerializer,
                                    VospayOrderCreateInputSerializer)
_ORDER_CREATED = _polymorphic("OrderCreated", OrderOutputSerializer, VospayOrderOutputSerializer)


class OrderCursor(CursorPage):
    ordering = ("-created_at", "-id")


@non_atomic
class OrderListApi(generics.ListAPIView):
    """GET: the orders list's filters (payments/order_filters.py). POST: create one."""

    serializer_class = OrderOutputSerializer
    pagination_class = OrderCursor

    def get_permissions(self):
        return [HasRole(Role.MANAGER if self.request.method == "POST" else Role.VIEWER)()]

    def get_queryset(self):
        found = order_filter(merchant=self.request.merchant, data=self.request.query_params)
        if not found.is_valid():
            raise exceptions.ValidationError(found.errors)
        return found.qs

    @extend_schema(
        operation_id="orders_list", tags=["orders"], summary="The merchant's orders (EnKash, Vospay)",
        description="Newest first, keyset pages. `q` matches a whole reference, order id, customer email or phone.",
        parameters=[OpenApiParameter("q", str), OpenApiParameter("provider", str), OpenApiParameter("status", str),
                    OpenApiParameter("created_from", OpenApiTypes.DATE),
                    OpenApiParameter("created_to", OpenApiTypes.DATE),
                    OpenApiParameter("amount_min", str), OpenApiParameter("amount_max", str),
                    OpenApiParameter("limit", int, description="Rows per page, at most 200")],
        responses={200: OrderOutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="orders_create", tags=["orders"], summary="Create an order with the connection's provider",
        description="The body is the chosen connection's provider's: EnKash (`EnKashOrderCreateInput`) or Vospay "
                    "(`VospayOrderCreateInput`: items, costs; the gross is computed). EnKash: 201 created (pending, "
                    "with `enkash.checkout_url`); 202 EnKash did not confirm in time, the order is `unknown` and "
                    "Paydesk asks EnKash about it by its order id, never creating it twice; 422 refused. Vospay: "
                    "201 with the customer's `checkout_url` (nothing is sent to Vospay until the customer pays).",
        parameters=[IDEMPOTENCY_HEADER], request=_ORDER_CREATE_BODIES,
        examples=[OpenApiExample("A new EnKash order", value=ORDER_EXAMPLE, response_only=True, status_codes=["201"]),
                  OpenApiExample("A new Vospay order", value=VOSPAY_ORDER_EXAMPLE, response_only=True,
                                 status_codes=["201"]),
                  OpenApiExample("EnKash did not confirm in time: unknown, being asked about", response_only=True,
                                 status_codes=["202"], value={**ORDER_EXAMPLE, "status": "unknown", "raw_status": ""})],
        responses={201: _ORDER_CREATED, 202: OrderOutputSerializer, **error_responses(400, 409, 422, 502, 503)},
    )
    def post(self, request):
        connection = _order_connection(request)
        handler = handler_for(connection.provider)
        if handler is None:
            raise exceptions.ValidationError({"connection": [
                f"{connection.get_provider_display()} takes no orders through Paydesk."]})
        return handler(request, connection)


def _order_connection(request) -> ProviderConnection:
    raw = request.data.get("connection") if isinstance(request.data, dict) else None
    connections = ProviderConnection.objects.filter(merchant=request.merchant, provider__in=ORDER_PROVIDERS)
    if raw in (None, ""):
        if connections.count() != 1:
            message = ("This merchant has no connection that takes orders." if not connections.exists() else
                       "This merchant has more than one connection that takes orders: name the one to use (its id).")
            raise exceptions.ValidationError({"connection": [message]})
        return connections.get()
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise exceptions.ValidationError({"connection": ["A connection id (a whole number) is required."]})
    found = connections.filter(pk=raw).first()
    if found is None:
        raise exceptions.ValidationError({"connection": ["No such connection that takes orders."]})
    return found


def order_answer(tx) -> tuple[int, dict]:
    if tx.status == Status.FAILED:
        error = getattr(tx, "provider_error", None)
        code = provider_error_status(error) if error is not None else 422
        return code, error_body(code=tx.raw_status or "rejected", message=tx.last_error or "EnKash refused it.")
    return (202 if tx.status == Status.UNKNOWN else 201), dict(OrderOutputSerializer(tx).data)


@order_create_handler("enkash")
def enkash_order_create(request, connection) -> Response:
    serializer = EnKashOrderCreateInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    data.pop("connection", None)

    def run(link):
        return order_answer(order_create(connection=connection, actor=actor_of(request), on_created=link, **data))

    response = idempotent(request, scope="api:orders", data={"connection": connection.pk, **data}, run=run)
    return _located(response, request, "orders")


def _located(response: Response, request, resource: str) -> Response:
    from payments.models import IdempotencyKey

    key = request.headers.get("Idempotency-Key", "").strip()
    tx_id = IdempotencyKey.objects.filter(merchant=request.merchant, key=key).values_list(
        "transaction_id", flat=True).first()
    if tx_id:
        response["Location"] = f"/api/v1/{resource}/{tx_id}/"
    return response


def _order(request, pk: int, *, provider: str | None = None) -> Transaction:
    tx = Transaction.objects.select_related("enkash_order").prefetch_related("events").filter(
        merchant=request.merchant, pk=pk, kind=Kind.ORDER).first()
    if tx is None or (provider and tx.provider != provider):
        raise exceptions.NotFound()
    return tx


class OrderDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="orders_retrieve", tags=["orders"],
                   summary="One order with its payments, their refunds and its timeline",
                   responses={200: OrderDetailOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        return Response(OrderDetailOutputSerializer(_order(request, pk)).data)


@non_atomic
class OrderCheckStatusApi(APIView):
    permission_classes = [HasRole(Role.MANAGER)]

    @extend_schema(operation_id="orders_check_status", tags=["orders"], request=None,
                   summary="Ask EnKash about an order, its open payments and refunds",
                   description="Never pays or refunds. Records payments EnKash lists on the order.",
                   responses={200: OrderDetailOutputSerializer, **error_responses(404, 502, 503)})
    def post(self, request, pk: int):
        order = _order(request, pk, provider="enkash")
        order_refresh(order=order, actor=actor_of(request))
        return Response(OrderDetailOutputSerializer(_order(request, pk)).data)


@non_atomic
class OrderPaymentDetailApi(APIView):
    permission_classes = [HasRole(Role.MANAGER)]

    @extend_schema(
        operation_id="orders_payment_detail", tags=["orders"],
        summary="Pay an EnKash order by UPI collect (vpa) or net banking",
        description="Sent to EnKash once (no card modes: the payer enters cards on the checkout). 201: the payment "
                    "(usually pending with the bank). 202: not confirmed in time, `unknown`; Paydesk finds it among "
                    "the order's attempts and never sends it again. 400: bad detail or the order is not payable. "
                    "422: EnKash refused it (the reason in `message`).",
        parameters=[IDEMPOTENCY_HEADER], request=PaymentDetailInputSerializer,
        responses={201: OrderPaymentSerializer, 202: OrderPaymentSerializer,
                   **error_responses(400, 404, 409, 422, 502, 503)},
    )
    def post(self, request, pk: int):
        order = _order(request, pk, provider="enkash")
        serializer = PaymentDetailInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)

        def run(link):
            payment = payment_submit(order=order, actor=actor_of(request), on_created=link, **data)
            code, body = transaction_answer(payment)
            return (code, dict(OrderPaymentSerializer(payment).data)) if code in (201, 202) else (code, body)

        response = idempotent(request, scope=f"api:orders:{order.pk}:payment-detail", data=data, run=run)
        return _located(response, request, "transactions")
