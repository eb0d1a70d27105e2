"""EnKash settlement and QR code API views: ``settlements`` (list with the page's filters,
detail with the settled items, a search of EnKash now), ``qr-codes`` (list / search,
create with an Idempotency-Key, detail with the PNG, cancel) and ``qr-customers``.

The shape, errors, cursor pages and idempotency are the money core's
(``payments/api/views.py``, ``config/api.py``). Views that call EnKash opt out of the
request transaction, as the payout views do."""

from __future__ import annotations

import base64

from django.db import transaction
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import HasRole
from accounts.models import Role
from config.api import CursorPage, error_responses
from payments.api.serializers import AmountField, EventOutputSerializer
from payments.api.views import IDEMPOTENCY_HEADER, actor_of, idempotent
from payments.filters_enkash_settlements import qr_code_filter, settlement_filter
from payments.models import QrCode, QrCustomer, SyncRun
from payments.selectors_enkash_settlements import (
    qr_code_get,
    qr_customer_get,
    qr_customers_find,
    settlement_get,
    settlement_items,
)
from payments.services.enkash_settlements import (
    enkash_connections,
    qr_code_cancel,
    qr_code_create,
    qr_customer_create,
)
from payments.sync.enkash_settlements import settlements_sync

non_atomic = method_decorator(transaction.non_atomic_requests, name="dispatch")
MONEY = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}


class ByMethod:
    """Viewers read; creating needs a manager."""

    def get_permissions(self):
        role = Role.VIEWER if self.request.method in ("GET", "HEAD", "OPTIONS") else Role.MANAGER
        return [HasRole(role)]


class CreatedCursor(CursorPage):
    ordering = ("-created_at", "-id")


def enkash_connection(request, pk: int | None):
    connections = enkash_connections(merchant=request.merchant)
    if pk is None and connections.count() > 1:
        raise exceptions.ValidationError({"connection": [
            "This merchant has more than one EnKash connection: name the one to use (its id)."]})
    found = connections.filter(pk=pk).first() if pk else connections.first()
    if found is None:
        message = "No such EnKash connection." if pk else "This merchant has no EnKash connection."
        raise exceptions.ValidationError({"connection": [message]})
    return found


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# -- serializers ------------------------------------------------------------------------------
SETTLEMENT_EXAMPLE = {
    "id": 51, "reference": "PD-8KQ2LM9XRT", "payout_id": "EKSP000000000007", "status": "succeeded",
    "raw_status": "SUCCESS", "connection": 7, "currency": "INR", "payout_date": "2026-11-30",
    "utr": "HDFCN000000000001", "payout_mode": "IMPS", "total_sales": "3999.50", "total_refunds": "0.00",
    "total_charges": "79.99", "total_gst": "14.40", "carry_forward_amount": "0.00", "adjustment_amount": "0.00",
    "settlement_amount": "3905.11", "transaction_count": 2, "created_at": "2026-12-01T04:30:00Z",
    "updated_at": "2026-12-01T04:30:00Z",
}
ITEM_EXAMPLE = {"transaction_id": "EKT000000000002", "order_id": "ORD1001", "type": "SALE", "amount": "1500.00",
                "charges": "30.00", "gst": "5.40", "net_amount": "1464.60", "matched_transaction": 42,
                "matched_reference": "PD-7KQ2LM9XRT"}
QR_OUT_EXAMPLE = {
    "id": 9, "external_id": "EKQR000000000021", "name": "Counter 1", "multiple_use": False, "fixed_amount": True,
    "amount": "499.00", "description": "Tea set", "expires_at": "2026-12-31T12:30:00Z", "status": "active",
    "raw_status": "ACTIVE", "state": "active", "customer": None, "customer_name": "",
    "upi_url": "upi://pay?pa=paydeskdemo@enkash&pn=Paydesk+Demo+Store&tr=EKQR000000000021&am=499.00&cu=INR",
    "payments_count": 0, "amount_received": "0.00", "connection": 7, "created_at": "2026-12-02T10:15:00Z",
    "updated_at": "2026-12-02T10:15:00Z",
}


@extend_schema_serializer(examples=[OpenApiExample("A paid-out settlement", value=SETTLEMENT_EXAMPLE,
                                                   response_only=True)])
class SettlementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    payout_id = serializers.CharField(source="external_id", help_text="EnKash's settlement payout id")
    status = serializers.CharField(help_text="pending, succeeded or failed")
    raw_status = serializers.CharField(help_text="EnKash's word: INIT, PROCESSING, SUCCESS, FAILED")
    connection = serializers.IntegerField(source="connection_id")
    currency = serializers.CharField()
    payout_date = serializers.DateField(source="settlement.payout_date", allow_null=True)
    utr = serializers.CharField(source="settlement.utr")
    payout_mode = serializers.CharField(source="settlement.payout_mode")
    total_sales = serializers.DecimalField(source="settlement.total_sales", **MONEY)
    total_refunds = serializers.DecimalField(source="settlement.total_refunds", **MONEY)
    total_charges = serializers.DecimalField(source="settlement.total_charges", **MONEY)
    total_gst = serializers.DecimalField(source="settlement.total_gst", **MONEY)
    carry_forward_amount = serializers.DecimalField(source="settlement.carry_forward_amount", **MONEY)
    adjustment_amount = serializers.DecimalField(source="settlement.adjustment_amount", **MONEY)
    settlement_amount = serializers.DecimalField(source="settlement.settlement_amount", help_text="Paid out", **MONEY)
    transaction_count = serializers.IntegerField(source="settlement.transaction_count")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SettledItemSerializer(serializers.Serializer):
    transaction_id = serializers.CharField(source="external_id", help_text="EnKash's transaction (or refund) id")
    order_id = serializers.CharField()
    type = serializers.CharField(help_text="SALE or REFUND")
    amount = serializers.DecimalField(**MONEY)
    charges = serializers.DecimalField(**MONEY)
    gst = serializers.DecimalField(**MONEY)
    net_amount = serializers.DecimalField(**MONEY)
    matched_transaction = serializers.IntegerField(
        source="matched_id", allow_null=True, help_text="Paydesk's transaction id; null when unmatched")
    matched_reference = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_matched_reference(self, item):
        return item.matched.reference if item.matched_id else None


@extend_schema_serializer(examples=[OpenApiExample("A settlement with one matched item", response_only=True, value={
    **SETTLEMENT_EXAMPLE, "items": [ITEM_EXAMPLE], "events": [{
        "at": "2026-12-01T04:30:00Z", "source": "sync", "actor": "status sync", "from_status": "",
        "to_status": "succeeded", "raw_status": "SUCCESS", "note": "Found by the EnKash settlement search."}]})])
class SettlementDetailOutputSerializer(SettlementOutputSerializer):
    items = serializers.SerializerMethodField()
    events = EventOutputSerializer(many=True, read_only=True, source="events.all")

    @extend_schema_field(SettledItemSerializer(many=True))
    def get_items(self, tx):
        return SettledItemSerializer(settlement_items(settlement=tx), many=True).data


@extend_schema_serializer(examples=[OpenApiExample("Paid out in November", request_only=True, value={
    "payout_from": "2026-11-01", "payout_to": "2026-11-30", "status": "succeeded"})])
class SettlementSearchInputSerializer(serializers.Serializer):
    connection = serializers.IntegerField(required=False, help_text="One EnKash connection; all when left out")
    payout_from = serializers.DateField(required=False)
    payout_to = serializers.DateField(required=False)
    status = serializers.CharField(required=False, help_text="pending, succeeded or failed")
    utr = serializers.CharField(max_length=40, required=False, allow_blank=True)

    def validate_status(self, value):
        if value not in ("pending", "succeeded", "failed"):
            raise serializers.ValidationError("Use pending, succeeded or failed.")
        return value

    def validate(self, data):
        if data.get("payout_from") and data.get("payout_to") and data["payout_from"] > data["payout_to"]:
            raise serializers.ValidationError({"payout_to": ["The end date is before the start date."]})
        return data


@extend_schema_serializer(examples=[OpenApiExample("One connection searched", response_only=True, value=[{
    "connection": 7, "listed": 2, "changed": 1, "started_at": "2026-12-02T10:15:00Z",
    "finished_at": "2026-12-02T10:15:01Z"}])])
class SettlementSearchRunSerializer(serializers.Serializer):
    connection = serializers.IntegerField(source="connection_id")
    listed = serializers.IntegerField(source="total", help_text="Payouts EnKash listed")
    changed = serializers.IntegerField(help_text="New, or whose status changed")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()


@extend_schema_serializer(examples=[OpenApiExample("A QR customer", response_only=True, value={
    "id": 3, "external_id": "EKC000000000017", "name": "Ravi Kumar", "email": "ravi@example.com",
    "mobile": "9123456780", "connection": 7, "created_at": "2026-12-02T10:15:00Z"})])
class QrCustomerOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = QrCustomer
        fields = ("id", "external_id", "name", "email", "mobile", "connection", "created_at")
        read_only_fields = fields


@extend_schema_serializer(examples=[OpenApiExample("A QR customer", request_only=True, value={
    "name": "Ravi Kumar", "email": "ravi@example.com", "mobile": "9123456780"})])
class QrCustomerCreateInputSerializer(serializers.Serializer):
    connection = serializers.IntegerField(required=False, help_text="Required when there is more than one")
    name = serializers.CharField(max_length=100)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    mobile = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                   help_text="10-digit Indian mobile, e.g. 9123456780")


@extend_schema_serializer(examples=[OpenApiExample("A fixed-amount code", value=QR_OUT_EXAMPLE,
                                                   response_only=True)])
class QrCodeOutputSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(allow_null=True, **MONEY)
    amount_received = serializers.DecimalField(**MONEY)
    status = serializers.CharField(help_text="active or cancelled (EnKash's status)")
    state = serializers.CharField(help_text="active, expired, used (single use, paid) or cancelled")

    class Meta:
        model = QrCode
        fields = ("id", "external_id", "name", "multiple_use", "fixed_amount", "amount", "description",
                  "expires_at", "status", "raw_status", "state", "customer", "customer_name", "upi_url",
                  "payments_count", "amount_received", "connection", "created_at", "updated_at")
        read_only_fields = fields


class QrCodeEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    source = serializers.CharField()
    actor = serializers.CharField()
    note = serializers.CharField()


@extend_schema_serializer(examples=[OpenApiExample("A new code with its PNG", response_only=True, value={
    **QR_OUT_EXAMPLE, "png_base64": "iVBORw0KGgoAAAANSUhEUgAA...", "events": [{
        "at": "2026-12-02T10:15:00Z", "source": "api_key", "actor": "API key shop", "note": "Created at EnKash."}]})])
class QrCodeDetailOutputSerializer(QrCodeOutputSerializer):
    png_base64 = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta(QrCodeOutputSerializer.Meta):
        fields = (*QrCodeOutputSerializer.Meta.fields, "png_base64", "events")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text="The PNG EnKash drew, base64"))
    def get_png_base64(self, qr):
        return base64.b64encode(bytes(qr.png)).decode()

    @extend_schema_field(QrCodeEventSerializer(many=True))
    def get_events(self, qr):
        return QrCodeEventSerializer(qr.events.all(), many=True).data


@extend_schema_serializer(examples=[OpenApiExample("A fixed-amount, single-use code", request_only=True, value={
    "connection": 7, "name": "Counter 1", "multiple_use": False, "amount": "499.00", "description": "Tea set",
    "expires_at": "2026-12-31T18:00:00+05:30", "customer": None})])
class QrCodeCreateInputSerializer(serializers.Serializer):
    connection = serializers.IntegerField(required=False, help_text="Required when there is more than one")
    name = serializers.CharField(max_length=50, help_text="Shown to the payer")
    multiple_use = serializers.BooleanField(default=False, help_text="false: one payment only")
    amount = AmountField(max_length=20, required=False, allow_null=True, default=None,
                         help_text='A fixed amount in INR as a string ("499.00"); leave out for an open amount')
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                           help_text="ISO 8601 with a time zone")
    customer = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text="A QR customer's id (from qr-customers)")

    def validate_expires_at(self, value):
        if value is not None and self.initial_data.get("expires_at") and not _has_zone(
                str(self.initial_data["expires_at"])):
            raise serializers.ValidationError("Give the time zone, e.g. 2026-12-31T18:00:00+05:30.")
        return value


def _has_zone(text: str) -> bool:
    return text.endswith("Z") or "+" in text[10:] or "-" in text[10:]


# -- settlements ------------------------------------------------------------------------------
SETTLEMENT_FILTERS = [
    OpenApiParameter("q", str, description="A payout id, UTR, Paydesk reference, or a settled transaction or "
                                           "order id"),
    OpenApiParameter("status", str, enum=["pending", "succeeded", "failed"]),
    OpenApiParameter("utr", str), OpenApiParameter("payout_from", OpenApiTypes.DATE),
    OpenApiParameter("payout_to", OpenApiTypes.DATE),
    OpenApiParameter("limit", int, description="Rows per page, at most 200"),
]


class SettlementListApi(generics.ListAPIView):
    permission_classes = [HasRole(Role.VIEWER)]
    serializer_class = SettlementOutputSerializer
    pagination_class = CreatedCursor

    def get_queryset(self):
        found = settlement_filter(merchant=self.request.merchant, data=self.request.query_params)
        if not found.is_valid():
            raise exceptions.ValidationError(found.errors)
        return found.qs

    @extend_schema(operation_id="settlements_list", tags=["settlements"], summary="EnKash settlement payouts",
                   description="As Paydesk last found them (a periodic search; `POST /settlements/search/` asks "
                               "now). Newest record first, keyset pages. Amounts in INR.",
                   parameters=SETTLEMENT_FILTERS,
                   responses={200: SettlementOutputSerializer(many=True), **error_responses(400)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SettlementDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="settlements_retrieve", tags=["settlements"],
                   summary="One settlement payout with its settled transactions and timeline",
                   description="Each item names Paydesk's own transaction when Paydesk knows it "
                               "(`matched_transaction`), else null (unmatched).",
                   responses={200: SettlementDetailOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        return Response(SettlementDetailOutputSerializer(settlement_get(merchant=request.merchant, pk=pk)).data)


@non_atomic
class SettlementSearchApi(APIView):
    permission_classes = [HasRole(Role.MANAGER)]

    @extend_schema(operation_id="settlements_search", tags=["settlements"], summary="Search EnKash's settlements now",
                   description="Reads every page of EnKash's answer (5000 a page) and records each payout and its "
                               "items. A read: moves no money, safe to repeat, no Idempotency-Key. Without dates, "
                               "the scheduled window (from a few days before the latest known payout).",
                   request=SettlementSearchInputSerializer,
                   responses={200: SettlementSearchRunSerializer(many=True), **error_responses(400, 502, 503)})
    def post(self, request):
        data = _valid(SettlementSearchInputSerializer, request.data)
        pk = data.pop("connection", None)
        connections = [enkash_connection(request, pk)] if pk else list(enkash_connections(merchant=request.merchant))
        if not connections:
            raise exceptions.ValidationError({"connection": ["This merchant has no EnKash connection."]})
        runs = []
        for connection in connections:
            run = settlements_sync(
                connection=connection, trigger=SyncRun.Trigger.MANUAL,
                user=request.user if getattr(request.user, "pk", None) and not request.api_key else None,
                from_date=data.get("payout_from"), to_date=data.get("payout_to"), status=data.get("status"),
                utr="".join((data.get("utr") or "").split()).upper() or None,
            )
            if run.error:
                raise run.provider_error
            runs.append(run)
        return Response(SettlementSearchRunSerializer(runs, many=True).data)


# -- QR codes ---------------------------------------------------------------------------------
@non_atomic
class QrCodeListCreateApi(ByMethod, generics.ListAPIView):
    serializer_class = QrCodeOutputSerializer
    pagination_class = CreatedCursor

    def get_queryset(self):
        found = qr_code_filter(merchant=self.request.merchant, data=self.request.query_params)
        if not found.is_valid():
            raise exceptions.ValidationError(found.errors)
        return found.qs

    @extend_schema(operation_id="qr_codes_list", tags=["qr-codes"], summary="EnKash static QR codes",
                   parameters=[OpenApiParameter("q", str, description="Name (part), EnKash id, customer name or "
                                                                      "mobile"),
                               OpenApiParameter("state", str, enum=["active", "expired", "used", "cancelled"]),
                               OpenApiParameter("usage", str, enum=["single", "multiple"]),
                               OpenApiParameter("limit", int, description="Rows per page, at most 200")],
                   responses={200: QrCodeOutputSerializer(many=True), **error_responses(400)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="qr_codes_create", tags=["qr-codes"], summary="Create a static UPI QR code",
                   description="Single or multiple use, fixed (`amount`) or open amount, optional expiry and "
                               "customer. The same Idempotency-Key answers the same code: EnKash is asked once.",
                   parameters=[IDEMPOTENCY_HEADER], request=QrCodeCreateInputSerializer,
                   responses={201: QrCodeDetailOutputSerializer, **error_responses(400, 409, 422, 502, 503)})
    def post(self, request):
        data = _valid(QrCodeCreateInputSerializer, request.data)
        connection = enkash_connection(request, data.pop("connection", None))
        customer = None
        if data["customer"] is not None:
            customer = QrCustomer.objects.filter(merchant=request.merchant, pk=data["customer"]).first()
            if customer is None:
                raise exceptions.ValidationError({"customer": ["No such QR customer."]})
        key = request.headers.get("Idempotency-Key", "").strip()

        def run(link):
            qr = qr_code_create(
                connection=connection, actor=actor_of(request), request_key=f"api:{key}", name=data["name"],
                multiple_use=data["multiple_use"], fixed_amount=data["amount"] is not None, amount=data["amount"],
                description=data["description"], expires_at=data["expires_at"], customer=customer,
            )
            return 201, dict(QrCodeDetailOutputSerializer(qr).data)

        body = {**data, "connection": connection.pk, "expires_at": str(data["expires_at"] or "")}
        response = idempotent(request, scope="api:qr-codes", data=body, run=run)
        if response.status_code == 201 and isinstance(response.data, dict) and "id" in response.data:
            response["Location"] = f"/api/v1/qr-codes/{response.data['id']}/"
        return response


class QrCodeDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="qr_codes_retrieve", tags=["qr-codes"], summary="One QR code with its PNG",
                   responses={200: QrCodeDetailOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        return Response(QrCodeDetailOutputSerializer(qr_code_get(merchant=request.merchant, pk=pk)).data)


@non_atomic
class QrCodeCancelApi(APIView):
    permission_classes = [HasRole(Role.MANAGER)]

    @extend_schema(operation_id="qr_codes_cancel", tags=["qr-codes"], summary="Cancel a QR code",
                   description="Payers can no longer pay it. Cancelling twice answers the cancelled code.",
                   request=None, responses={200: QrCodeDetailOutputSerializer, **error_responses(404, 422, 502, 503)})
    def post(self, request, pk: int):
        qr = qr_code_get(merchant=request.merchant, pk=pk)
        qr = qr_code_cancel(qr_code=qr, actor=actor_of(request))
        return Response(QrCodeDetailOutputSerializer(qr).data)


# -- QR customers -----------------------------------------------------------------------------
@non_atomic
class QrCustomerListCreateApi(ByMethod, generics.ListAPIView):
    serializer_class = QrCustomerOutputSerializer
    pagination_class = CreatedCursor

    def get_queryset(self):
        return qr_customers_find(merchant=self.request.merchant, q=self.request.query_params.get("q", ""))

    @extend_schema(operation_id="qr_customers_list", tags=["qr-customers"], summary="QR customers",
                   parameters=[OpenApiParameter("q", str, description="Name (part), mobile, email or EnKash id"),
                               OpenApiParameter("limit", int, description="Rows per page, at most 200")],
                   responses={200: QrCustomerOutputSerializer(many=True), **error_responses(400)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="qr_customers_create", tags=["qr-customers"], summary="Create a QR customer",
                   description="A mobile EnKash already has is refused (400 on `mobile`).",
                   parameters=[IDEMPOTENCY_HEADER], request=QrCustomerCreateInputSerializer,
                   responses={201: QrCustomerOutputSerializer, **error_responses(400, 409, 422, 502, 503)})
    def post(self, request):
        data = _valid(QrCustomerCreateInputSerializer, request.data)
        connection = enkash_connection(request, data.pop("connection", None))

        def run(link):
            made = qr_customer_create(connection=connection, actor=actor_of(request), **data)
            return 201, dict(QrCustomerOutputSerializer(made).data)

        return idempotent(request, scope="api:qr-customers", data={**data, "connection": connection.pk}, run=run)


class QrCustomerDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="qr_customers_retrieve", tags=["qr-customers"], summary="One QR customer",
                   responses={200: QrCustomerOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        return Response(QrCustomerOutputSerializer(qr_customer_get(merchant=request.merchant, pk=pk)).data)
