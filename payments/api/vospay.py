"""Vospay resources of the API: the installment order create handler (plugged into the
generic ``POST /orders/`` through ``payments.api.orders_registry``) and ``contracts``
(list with filters, detail). Creating an order calls nobody (the customer's checkout
reaches Vospay), but it makes a record a customer gets a link to, so it takes an
``Idempotency-Key`` like every money POST: a retried request makes one order."""

from __future__ import annotations

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
from payments.api.orders_registry import order_create_handler
from payments.api.serializers import AmountField, EventOutputSerializer
from payments.models import Transaction
from payments.selectors_vospay import contract_filter, contracts_of
from payments.services.vospay import vospay_checkout_url, vospay_order_create

SCOPE = "api:orders"


# -- serializers -----------------------------------------------------------------------------
class VospayItemInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    quantity = serializers.IntegerField(min_value=1, max_value=9999)
    unit_price = AmountField(max_length=20, help_text='Whole rupiah per piece, as a string: "150000"')


@extend_schema_serializer(examples=[OpenApiExample("An order with two items", request_only=True, value={
    "provider": "vospay", "connection": 5,
    "items": [{"name": "Headphones", "quantity": 2, "unit_price": "10000"},
              {"name": "Case", "quantity": 1, "unit_price": "5000"}],
    "shipping_cost": "5000", "insurance_cost": "0", "processing_fee": "100", "tax": "0", "gross_amount": "30100",
    "customer_name": "Siti Rohanah", "customer_phone": "08110000002", "description": "Web order 991"})])
class VospayOrderCreateInputSerializer(serializers.Serializer):
    items = VospayItemInputSerializer(many=True, allow_empty=False)
    shipping_cost = AmountField(max_length=20, required=False, default="0")
    insurance_cost = AmountField(max_length=20, required=False, default="0")
    processing_fee = AmountField(max_length=20, required=False, default="0")
    tax = AmountField(max_length=20, required=False, default="0")
    gross_amount = AmountField(max_length=20, required=False, allow_null=True, default=None,
                               help_text="Optional: checked against the items and costs (422 if they differ)")
    customer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    customer_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class VospayItemOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=0, coerce_to_string=True)


class ContractOutputSerializer(serializers.Serializer):
    status = serializers.CharField(source="contract_status", help_text="Vospay's word: Pending, Approved, Edited, "
                                   "Cancelled, Refund, Fulfilled or Settled; empty until Vospay reports one")
    installment_id = serializers.CharField()
    period = serializers.IntegerField(allow_null=True, help_text="Months")
    monthly_payment = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True,
                                               allow_null=True)
    interest_rate = serializers.DecimalField(max_digits=8, decimal_places=5, coerce_to_string=True,
                                             allow_null=True)
    contract_number = serializers.CharField()
    finalized_at = serializers.DateTimeField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)


ORDER_EXAMPLE = {
    "id": 57, "reference": "PD-7KQ2LM9XRT", "order_id": "PD-7KQ2LM9XRT", "provider": "vospay", "kind": "order",
    "status": "pending", "raw_status": "Pending", "amount": "30100", "currency": "IDR",
    "transaction_id": "5afcfc4424c4cc0b829f0dee", "merchant_key": "sbx_mk_bukalapak",
    "items": [{"name": "Headphones", "quantity": 2, "unit_price": "10000"},
              {"name": "Case", "quantity": 1, "unit_price": "5000"}],
    "shipping_cost": "5000", "insurance_cost": "0", "processing_fee": "100", "tax": "0",
    "customer_name": "Siti Rohanah", "customer_phone": "08110000002", "description": "Web order 991",
    "connection": 5, "checkout_url": "https://paydesk.example/me/demo/checkout/3q2-6bQ.../",
    "contract": {"status": "Pending", "installment_id": "2", "period": 6, "monthly_payment": "5167.17",
                 "interest_rate": "0.03000", "contract_number": "", "finalized_at": "2026-12-02T10:20:00Z",
                 "verified_at": "2026-12-02T10:20:01Z"},
    "created_at": "2026-12-02T10:15:00Z", "updated_at": "2026-12-02T10:20:01Z",
}


@extend_schema_serializer(examples=[
    OpenApiExample("A finalized order with its contract", value=ORDER_EXAMPLE, response_only=True,
                   status_codes=["200", "201"]),
    OpenApiExample("A new order waiting for its customer", response_only=True, status_codes=["201"],
                   value={**ORDER_EXAMPLE, "raw_status": "", "transaction_id": "", "contract": None}),
])
class VospayOrderOutputSerializer(serializers.ModelSerializer):
    """An installment order: the transaction, its items and costs, the checkout link and
    (once finalized) the contract. Amounts are IDR strings; IDR has no minor unit."""

    amount = serializers.DecimalField(max_digits=18, decimal_places=0, coerce_to_string=True,
                                      help_text="The gross amount")
    order_id = serializers.CharField(source="reference", help_text="The orderID Vospay gets")
    transaction_id = serializers.CharField(source="external_id", help_text="Vospay's, once the customer authorized")
    merchant_key = serializers.CharField(source="vospay_order.merchant_key")
    items = VospayItemOutputSerializer(source="vospay_order.items.all", many=True)
    shipping_cost = serializers.DecimalField(source="vospay_order.shipping_cost", max_digits=18,
                                             decimal_places=0, coerce_to_string=True)
    insurance_cost = serializers.DecimalField(source="vospay_order.insurance_cost", max_digits=18,
                                              decimal_places=0, coerce_to_string=True)
    processing_fee = serializers.DecimalField(source="vospay_order.processing_fee", max_digits=18,
                                              decimal_places=0, coerce_to_string=True)
    tax = serializers.DecimalField(source="vospay_order.tax", max_digits=18, decimal_places=0,
                                   coerce_to_string=True)
    customer_name = serializers.CharField(source="vospay_order.customer_name")
    customer_phone = serializers.CharField(source="vospay_order.customer_phone")
    checkout_url = serializers.SerializerMethodField()
    contract = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = ("id", "reference", "order_id", "provider", "kind", "status", "raw_status", "amount", "currency",
                  "transaction_id", "merchant_key", "items", "shipping_cost", "insurance_cost", "processing_fee",
                  "tax", "customer_name", "customer_phone", "description", "connection", "checkout_url",
                  "contract", "created_at", "updated_at")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_checkout_url(self, tx) -> str:
        return vospay_checkout_url(tx)

    @extend_schema_field(ContractOutputSerializer(allow_null=True))
    def get_contract(self, tx) -> dict | None:
        detail = tx.vospay_order
        return ContractOutputSerializer(detail).data if detail.has_contract else None


@extend_schema_serializer(examples=[OpenApiExample(
    "A contract and its timeline", response_only=True, value={**ORDER_EXAMPLE, "events": [{
        "at": "2026-12-02T10:15:00Z", "source": "api_key", "actor": "API key shop", "from_status": "",
        "to_status": "pending", "raw_status": "", "note": "Installment order created; the checkout link is ready "
                                                           "to send."}]})])
class VospayOrderDetailOutputSerializer(VospayOrderOutputSerializer):
    events = EventOutputSerializer(many=True, read_only=True)

    class Meta(VospayOrderOutputSerializer.Meta):
        fields = (*VospayOrderOutputSerializer.Meta.fields, "events")
        read_only_fields = fields


def vospay_order_output(tx, request) -> dict:
    """The order as the API shows it (for the generic orders list and detail views)."""
    return dict(VospayOrderOutputSerializer(tx, context={"request": request}).data)


# -- POST /orders/ with a Vospay connection ------------------------------------------------
@order_create_handler("vospay")
def vospay_order_create_api(request, connection) -> Response:
    """Validate the body, create the order once per Idempotency-Key, answer 201 with it."""
    from payments.api.views import _with_location, actor_of, idempotent

    serializer = VospayOrderCreateInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    data["items"] = [dict(item) for item in data["items"]]

    def run(link):
        order = vospay_order_create(connection=connection, actor=actor_of(request), on_created=link, **data)
        order = contracts_base(request).get(pk=order.pk)
        return 201, vospay_order_output(order, request)

    response = idempotent(request, scope=SCOPE, data={"connection": connection.pk, **data}, run=run)
    return _with_location(response, request)


def contracts_base(request):
    from payments.selectors_vospay import vospay_orders

    return vospay_orders(merchant=request.merchant).prefetch_related("vospay_order__items")


# -- contracts -------------------------------------------------------------------------------
class ContractCursor(CursorPage):
    ordering = ("-created_at", "-id")


class ContractListApi(generics.ListAPIView):
    permission_classes = [HasRole(Role.VIEWER)]
    serializer_class = VospayOrderOutputSerializer
    pagination_class = ContractCursor

    def get_queryset(self):
        found = contract_filter(merchant=self.request.merchant, data=self.request.query_params)
        if not found.is_valid():
            raise exceptions.ValidationError(found.errors)
        return found.qs.prefetch_related("vospay_order__items")

    @extend_schema(
        operation_id="contracts_list", tags=["contracts"], summary="Vospay installment contracts",
        description="Installment orders the customer finalized, newest first, keyset pages. `q` matches a whole "
                    "reference, Vospay transaction ID, contract number or customer phone; `contract_status` is "
                    "Vospay's word (Pending, Approved, Edited, Cancelled, Refund, Fulfilled, Settled).",
        parameters=[
            OpenApiParameter("q", str), OpenApiParameter("status", str), OpenApiParameter("contract_status", str),
            OpenApiParameter("created_from", OpenApiTypes.DATE), OpenApiParameter("created_to", OpenApiTypes.DATE),
            OpenApiParameter("limit", int, description="Rows per page, at most 200"),
        ],
        responses={200: VospayOrderOutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ContractDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="contracts_retrieve", tags=["contracts"],
                   summary="One installment contract: its order, terms and timeline",
                   responses={200: VospayOrderDetailOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        tx = contracts_of(merchant=request.merchant).prefetch_related("vospay_order__items", "events") \
            .filter(pk=pk).first()
        if tx is None:
            raise exceptions.NotFound()
        return Response(VospayOrderDetailOutputSerializer(tx, context={"request": request}).data)
