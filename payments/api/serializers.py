"""Input and output serializers of the payments API: one small pair per operation.
Inputs only parse; the rules (IBAN checksum and country, amount limits) live in the
services, which raise Django ValidationErrors that the API's handler turns into the
error shape with ``fields``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from payments.models import IbanAccount, Transaction


class AmountField(serializers.CharField):
    """An amount as a JSON string ("1250.50"): a JSON number would reach Paydesk as a
    float, and floats do not hold money exactly."""

    default_error_messages = {"not_a_string": 'Send the amount as a string with at most 2 decimals, e.g. "1250.50".'}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class EventOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    source = serializers.CharField()
    actor = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    raw_status = serializers.CharField()
    note = serializers.CharField()


class PayoutDestinationSerializer(serializers.Serializer):
    username = serializers.CharField()
    customer_iban = serializers.CharField()
    customer_name = serializers.CharField()


class PaymentLinkDetailSerializer(serializers.Serializer):
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    order_id = serializers.CharField()
    payment_url = serializers.CharField()


TRANSACTION_EXAMPLE = {
    "id": 42, "reference": "PD-7KQ2LM9XRT", "provider": "enigmapay", "kind": "payout", "status": "pending",
    "raw_status": "Pending", "amount": "1250.50", "currency": "TRY", "external_id": "5001",
    "description": "Order 77 refund", "connection": 3, "created_at": "2026-12-02T10:15:00Z",
    "updated_at": "2026-12-02T10:15:01Z", "last_error": "",
    "payout": {"username": "ayse.yilmaz", "customer_iban": "TR880006400000000000001001",
               "customer_name": "Ayse Yilmaz"},
    "payment_link": None,
}


@extend_schema_serializer(examples=[
    OpenApiExample("A pending payout", value=TRANSACTION_EXAMPLE, response_only=True,
                   status_codes=["200", "201"]),
    OpenApiExample("Not confirmed in time: unknown, being checked", response_only=True, status_codes=["202"],
                   value={**TRANSACTION_EXAMPLE, "status": "unknown", "raw_status": "", "external_id": ""}),
])
class TransactionOutputSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True)
    payout = serializers.SerializerMethodField()
    payment_link = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = ("id", "reference", "provider", "kind", "status", "raw_status", "amount", "currency",
                  "external_id", "description", "connection", "created_at", "updated_at", "last_error",
                  "payout", "payment_link")
        read_only_fields = fields

    @extend_schema_field(PayoutDestinationSerializer(allow_null=True))
    def get_payout(self, tx):
        detail = getattr(tx, "payout", None) if tx.kind == "payout" else None
        return PayoutDestinationSerializer(detail).data if detail else None

    @extend_schema_field(PaymentLinkDetailSerializer(allow_null=True))
    def get_payment_link(self, tx):
        detail = getattr(tx, "payment_link", None) if tx.kind == "payment_link" else None
        return PaymentLinkDetailSerializer(detail).data if detail else None


EVENT_EXAMPLE = {"at": "2026-12-02T10:15:00Z", "source": "api_key", "actor": "API key shop", "from_status": "",
                 "to_status": "pending", "raw_status": "", "note": "Payout recorded; sending to EnigmaPay."}


@extend_schema_serializer(examples=[OpenApiExample("A payout and its timeline", response_only=True,
                                                   value={**TRANSACTION_EXAMPLE, "events": [EVENT_EXAMPLE]})])
class TransactionDetailOutputSerializer(TransactionOutputSerializer):
    events = EventOutputSerializer(many=True, read_only=True)

    class Meta(TransactionOutputSerializer.Meta):
        fields = (*TransactionOutputSerializer.Meta.fields, "events")
        read_only_fields = fields


@extend_schema_serializer(examples=[OpenApiExample("A payout", request_only=True, value={
    "connection": 3, "username": "ayse.yilmaz", "customer_iban": "TR880006400000000000001001",
    "customer_name": "Ayse Yilmaz", "amount": "1250.50", "description": "Order 77 refund"})])
class PayoutCreateInputSerializer(serializers.Serializer):
    connection = serializers.IntegerField(
        required=False, help_text="The EnigmaPay connection's id; required when there is more than one"
    )
    username = serializers.CharField(max_length=100, help_text="The customer's username at EnigmaPay")
    customer_iban = serializers.CharField(max_length=42)
    customer_name = serializers.CharField(max_length=200)
    amount = AmountField(max_length=20, help_text='TRY, as a string with at most 2 decimals: "1250.50"')
    description = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


@extend_schema_serializer(examples=[OpenApiExample("A card payment link", request_only=True, value={
    "username": "mdemir", "first_name": "Mehmet", "last_name": "Demir", "email": "mehmet@example.test",
    "phone": "905321234567", "amount": "250.00", "description": "Invoice 12"})])
class PaymentLinkCreateInputSerializer(serializers.Serializer):
    connection = serializers.IntegerField(
        required=False, help_text="The EnigmaPay connection's id; required when there is more than one"
    )
    username = serializers.CharField(max_length=100)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.CharField(max_length=254)
    phone = serializers.CharField(max_length=32)
    amount = AmountField(max_length=20, help_text='TRY, as a string, at least "200.00"')
    description = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


@extend_schema_serializer(examples=[OpenApiExample("An IBAN", response_only=True, value={
    "id": 7, "connection": 3, "external_id": 1, "iban": "TR560006200000000000000101", "owner_name": "Sandbox Bayi",
    "bank_name": "Garanti", "active": True, "balance": "125000.00", "currency": "TRY",
    "balance_at": "2026-12-02T10:15:00Z"})])
class IbanOutputSerializer(serializers.ModelSerializer):
    balance = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True, allow_null=True)

    class Meta:
        model = IbanAccount
        fields = ("id", "connection", "external_id", "iban", "owner_name", "bank_name", "active", "balance",
                  "currency", "balance_at")
        read_only_fields = fields


@extend_schema_serializer(examples=[OpenApiExample("A balance read", response_only=True, value={
    "at": "2026-12-02T10:15:00Z", "balance": "125000.00", "currency": "TRY"})])
class BalanceOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    balance = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()
