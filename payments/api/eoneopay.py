"""API resources of the EoneoPay desk and the generic payments:

- ``customers``: EoneoPay customers with their cards (masked: never a number, CVV or
  token in an answer) and bank accounts (masked); list, create, detail, update, delete.
- ``payments``: every provider's payments (list, detail), ``POST payments/`` to charge
  a stored EoneoPay card and ``POST payments/<id>/refund/`` to refund through the
  shared refund entry point (``payments.services.refunds``). Both POSTs move money and
  take an ``Idempotency-Key``.

Views that call EoneoPay opt out of the request transaction, like the payouts API:
the pending row and its idempotency key are committed before the call goes out."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, Sum
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import HasRole
from accounts.models import Role
from config.api import CursorPage, cursor_page_of, error_body, error_responses, provider_error_status
from payments.api.serializers import AmountField, EventOutputSerializer, TransactionOutputSerializer
from payments.api.views import IDEMPOTENCY_HEADER, actor_of, idempotent, non_atomic
from payments.models import EoneoPayCustomer, Kind, Status
from payments.selectors_eoneopay import (
    card_get,
    customer_filter,
    customer_get,
    eoneopay_connections,
    payment_filter,
    payment_get,
    refunds_of,
)
from payments.services import eoneopay as service
from payments.services import refunds
from providers.base.errors import ProviderError
from providers.base.money import CURRENCY_EXPONENTS


# -- serializers ------------------------------------------------------------------------------
class CardOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    masked_pan = serializers.CharField(help_text="First six / last digits at most, as EoneoPay masks it")
    card_type = serializers.CharField(help_text="EoneoPay's code: 2 Amex, 5 Master Card, 6 Visa")
    description = serializers.CharField()
    expiry_date = serializers.CharField(help_text="MM/YY")


class BankAccountOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    branch = serializers.CharField(help_text="BSB, six digits")
    masked_number = serializers.CharField()


CUSTOMER_EXAMPLE = {
    "id": 7, "external_id": "cus_u4enomYPXItBeEP2", "connection": 4, "name": "Ann Example",
    "email": "ann@example.test", "address": "1 Line\nSydney NSW", "created_at": "2026-12-02T10:15:00Z",
    "deleted_at": None,
    "cards": [{"id": 3, "masked_pan": "400000XXXXXXX002", "card_type": "6", "description": "Visa",
               "expiry_date": "05/29"}],
    "bank_accounts": [{"id": 2, "name": "Ann Example", "branch": "012003", "masked_number": "···899"}],
}


@extend_schema_serializer(examples=[OpenApiExample("A customer", value=CUSTOMER_EXAMPLE, response_only=True)])
class CustomerOutputSerializer(serializers.ModelSerializer):
    cards = serializers.SerializerMethodField()
    bank_accounts = BankAccountOutputSerializer(many=True, read_only=True)

    class Meta:
        model = EoneoPayCustomer
        fields = ("id", "external_id", "connection", "name", "email", "address", "created_at", "deleted_at",
                  "cards", "bank_accounts")
        read_only_fields = fields

    @extend_schema_field(CardOutputSerializer(many=True))
    def get_cards(self, customer) -> list[dict]:
        return CardOutputSerializer(customer.cards.filter(removed_at__isnull=True), many=True).data


class CardInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=23, write_only=True, trim_whitespace=True)
    expiry_date = serializers.CharField(max_length=7, help_text="MM/YY")
    cvv = serializers.CharField(max_length=4, write_only=True)


class BankAccountInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    branch = serializers.CharField(max_length=7, help_text="BSB: six digits")
    number = serializers.CharField(max_length=12, write_only=True)


@extend_schema_serializer(examples=[OpenApiExample("A customer with a card", request_only=True, value={
    "name": "Ann Example", "email": "ann@example.test", "address": "1 Line\nSydney NSW",
    "cards": [{"number": "<card number>", "expiry_date": "05/29", "cvv": "<cvv>"}],
    "bank_accounts": [{"name": "Ann Example", "branch": "012003", "number": "12881899"}]})])
class CustomerCreateInputSerializer(serializers.Serializer):
    connection = serializers.IntegerField(required=False,
                                          help_text="The EoneoPay connection's id; required when there are two")
    name = serializers.CharField(max_length=200)
    email = serializers.CharField(max_length=254)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    cards = CardInputSerializer(many=True, required=False, default=list)
    bank_accounts = BankAccountInputSerializer(many=True, required=False, default=list)


class CustomerUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    add_cards = CardInputSerializer(many=True, required=False, default=list)
    remove_cards = serializers.ListField(child=serializers.IntegerField(), required=False, default=list,
                                         help_text="Ids of cards to remove (their tokens stop working)")
    add_bank_accounts = BankAccountInputSerializer(many=True, required=False, default=list)
    remove_bank_accounts = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class PaymentCardSerializer(serializers.Serializer):
    card = serializers.IntegerField(source="card_id", allow_null=True)
    customer = serializers.IntegerField(source="customer_id", allow_null=True)
    masked_pan = serializers.CharField()
    card_description = serializers.CharField()
    reference = serializers.CharField(help_text="As sent to EoneoPay")


class PaymentOutputSerializer(TransactionOutputSerializer):
    eoneopay = serializers.SerializerMethodField()
    refunded_amount = serializers.SerializerMethodField()
    refundable_amount = serializers.SerializerMethodField()
    needs_attention = serializers.SerializerMethodField()

    class Meta(TransactionOutputSerializer.Meta):
        fields = (*TransactionOutputSerializer.Meta.fields, "eoneopay", "refunded_amount", "refundable_amount",
                  "needs_attention")
        read_only_fields = fields

    def get_eoneopay(self, tx) -> dict | None:
        detail = getattr(tx, "eoneopay", None) if tx.provider == "eoneopay" else None
        return PaymentCardSerializer(detail).data if detail else None

    def get_refunded_amount(self, tx) -> str:
        return _money(_refunded(tx), tx.currency)

    def get_refundable_amount(self, tx) -> str:
        left = tx.amount - _refunded(tx)
        open_to_refund = tx.status == Status.SUCCEEDED and refunds.has_refunder(tx.provider) and left > 0
        return _money(left if open_to_refund else 0, tx.currency)

    def get_needs_attention(self, tx) -> str:
        return tx.attention_reason if tx.needs_attention_since else ""


def _refunded(tx) -> Decimal:
    """The list annotates it (one query per page); a single payment asks."""
    total = getattr(tx, "refunded_total", None)
    return (total or Decimal(0)) if hasattr(tx, "refunded_total") else refunds.refunded_amount(tx)


def _money(value, currency: str) -> str:
    places = CURRENCY_EXPONENTS.get(currency, 2)
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places)))


class PaymentDetailOutputSerializer(PaymentOutputSerializer):
    events = EventOutputSerializer(many=True, read_only=True)
    refunds = serializers.SerializerMethodField()

    class Meta(PaymentOutputSerializer.Meta):
        fields = (*PaymentOutputSerializer.Meta.fields, "events", "refunds")
        read_only_fields = fields

    def get_refunds(self, tx) -> list[dict]:
        return TransactionOutputSerializer(refunds_of(payment=tx), many=True).data


@extend_schema_serializer(examples=[OpenApiExample("Charge a stored card", request_only=True, value={
    "card": 3, "amount": "742.00", "currency": "AUD", "reference": "Order 1001", "description": "Two lamps"})])
class ChargeInputSerializer(serializers.Serializer):
    card = serializers.IntegerField(help_text="A stored card's id (customers' `cards`)")
    amount = AmountField(max_length=20, help_text='AUD, as a string with at most 2 decimals: "742.00"')
    currency = serializers.CharField(max_length=3, required=False, default="AUD", help_text="AUD only")
    reference = serializers.CharField(max_length=40, help_text="Your order number; sent to EoneoPay with Paydesk's")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RefundInputSerializer(serializers.Serializer):
    amount = AmountField(max_length=20, required=False, allow_blank=True, default="",
                         help_text="Leave out to refund all that is left. EoneoPay refunds in full only.")


# -- customers ------------------------------------------------------------------------------
def _by_method(request, **roles) -> list:
    return [HasRole(roles.get(request.method, Role.VIEWER))]


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _connection(request, pk):
    connections = eoneopay_connections(merchant=request.merchant)
    if pk is None and connections.count() > 1:
        raise exceptions.ValidationError({"connection": [
            "This merchant has more than one EoneoPay connection: name the one to use (its id)."]})
    found = connections.filter(pk=pk).first() if pk else connections.first()
    if found is None:
        raise exceptions.ValidationError({"connection": [
            "No such EoneoPay connection." if pk else "This merchant has no EoneoPay connection."]})
    return found


def _cards(items, prefix: str) -> list:
    return _checked(items, prefix, lambda c: service.card_checked(c["number"], c["expiry_date"], c["cvv"],
                                                                   prefix="card"))


def _banks(items, prefix: str) -> list:
    return _checked(items, prefix, lambda b: service.bank_checked(b["name"], b["number"], b["branch"],
                                                                   prefix="bank"))


def _checked(items, prefix: str, check) -> list:
    """Each item checked; errors named ``cards.0.number`` like the API's other fields."""
    done, errors = [], {}
    for index, item in enumerate(items):
        try:
            done.append(check(item))
        except DjangoValidationError as e:
            for field, messages in e.message_dict.items():
                name = {"expiry": "expiry_date"}.get(field.split("_", 1)[1], field.split("_", 1)[1])
                errors[f"{prefix}.{index}.{name}"] = messages
    if errors:
        raise exceptions.ValidationError(errors)
    return done


def _eoneopay_error(error: service.EoneoPayError) -> Response:
    status = provider_error_status(error.error) if error.error is not None else 422
    code = error.error.code if error.error is not None else "rejected"
    headers = {"Retry-After": "30"} if status == 503 else {}
    return Response(error_body(code=code, message=error.message), status=status, headers=headers)


class CustomerCursor(CursorPage):
    ordering = ("-created_at", "-id")


@non_atomic
class CustomerListApi(APIView):
    def get_permissions(self):
        return _by_method(self.request, POST=Role.MANAGER)

    @extend_schema(operation_id="customers_list", tags=["customers"], summary="EoneoPay customers",
                   description="Newest first, keyset pages. `q` matches an EoneoPay id, an email or part of a "
                               "name; `state=deleted` or `all` shows deleted ones too.",
                   parameters=[OpenApiParameter("q", str), OpenApiParameter("state", str),
                               OpenApiParameter("limit", int)],
                   responses={200: cursor_page_of(CustomerOutputSerializer), **error_responses(400)})
    def get(self, request):
        found = customer_filter(merchant=request.merchant, data=request.query_params)
        if not found.is_valid():
            raise exceptions.ValidationError(found.errors)
        paginator = CustomerCursor()
        page = paginator.paginate_queryset(found.qs.prefetch_related("cards", "bank_accounts"), request, view=self)
        return paginator.get_paginated_response(CustomerOutputSerializer(page, many=True).data)

    @extend_schema(operation_id="customers_create", tags=["customers"], summary="Create an EoneoPay customer",
                   description="Card numbers and CVVs go to EoneoPay, which tokenises them; the answer and "
                               "Paydesk keep only masked cards. 422: EoneoPay refused (e.g. a card it does not "
                               "take).",
                   request=CustomerCreateInputSerializer,
                   responses={201: CustomerOutputSerializer, **error_responses(400, 422, 502, 503)})
    def post(self, request):
        data = _valid(CustomerCreateInputSerializer, request.data)
        connection = _connection(request, data.pop("connection", None))
        cards, banks = _cards(data.pop("cards"), "cards"), _banks(data.pop("bank_accounts"), "bank_accounts")
        try:
            customer = service.customer_create(connection=connection, actor=actor_of(request), cards=cards,
                                               bank_accounts=banks, **data)
        except service.EoneoPayError as e:
            return _eoneopay_error(e)
        return Response(CustomerOutputSerializer(customer).data, status=201,
                        headers={"Location": f"/api/v1/customers/{customer.pk}/"})


@non_atomic
class CustomerDetailApi(APIView):
    def get_permissions(self):
        return _by_method(self.request, PATCH=Role.MANAGER, DELETE=Role.MANAGER)

    @extend_schema(operation_id="customers_retrieve", tags=["customers"], summary="One EoneoPay customer",
                   responses={200: CustomerOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        return Response(CustomerOutputSerializer(customer_get(merchant=request.merchant, pk=pk)).data)

    @extend_schema(operation_id="customers_update", tags=["customers"], summary="Update an EoneoPay customer",
                   description="Name, email, address; add cards or bank accounts, remove them by id. EoneoPay "
                               "replaces the whole record; Paydesk reads it first and sends it back whole.",
                   request=CustomerUpdateInputSerializer,
                   responses={200: CustomerOutputSerializer, **error_responses(400, 404, 422, 502, 503)})
    def patch(self, request, pk: int):
        customer = customer_get(merchant=request.merchant, pk=pk)
        data = _valid(CustomerUpdateInputSerializer, request.data)
        add_cards = _cards(data.pop("add_cards"), "add_cards")
        add_banks = _banks(data.pop("add_bank_accounts"), "add_bank_accounts")
        try:
            service.customer_update(customer=customer, actor=actor_of(request), add_cards=add_cards,
                                    add_bank_accounts=add_banks, remove_card_ids=data.pop("remove_cards"),
                                    remove_bank_ids=data.pop("remove_bank_accounts"), **data)
        except service.EoneoPayError as e:
            return _eoneopay_error(e)
        return Response(CustomerOutputSerializer(customer_get(merchant=request.merchant, pk=pk)).data)

    @extend_schema(operation_id="customers_destroy", tags=["customers"], summary="Delete an EoneoPay customer",
                   description="Deleted at EoneoPay; Paydesk keeps the record marked deleted (its payments "
                               "still point at it). Its cards no longer charge.",
                   responses={200: CustomerOutputSerializer, **error_responses(404, 422, 502, 503)})
    def delete(self, request, pk: int):
        customer = customer_get(merchant=request.merchant, pk=pk)
        try:
            service.customer_delete(customer=customer, actor=actor_of(request))
        except service.EoneoPayError as e:
            return _eoneopay_error(e)
        return Response(CustomerOutputSerializer(customer_get(merchant=request.merchant, pk=pk)).data)


# -- payments -------------------------------------------------------------------------------
class PaymentCursor(CursorPage):
    ordering = ("-created_at", "-id")


def payment_answer(tx, serializer=PaymentOutputSerializer) -> tuple[int, dict]:
    """201 done, 202 outcome unknown (never re-sent), an error status when refused."""
    if tx.status == Status.FAILED:
        error = getattr(tx, "provider_error", None)
        code = provider_error_status(error) if isinstance(error, ProviderError) else 422
        return code, error_body(code=tx.raw_status or "rejected", message=tx.last_error or "EoneoPay refused it.")
    return (202 if tx.status == Status.UNKNOWN else 201), dict(serializer(tx).data)


@non_atomic
class PaymentListApi(APIView):
    def get_permissions(self):
        return _by_method(self.request, POST=Role.MANAGER)

    @extend_schema(
        operation_id="payments_list", tags=["payments"], summary="Payments of every provider",
        description="Newest first, keyset pages. Filters as on transactions (no `kind`: these are payments); "
                    "`q` also finds an EoneoPay payment by the reference you gave it or the customer's email.",
        parameters=[OpenApiParameter("q", str), OpenApiParameter("provider", str), OpenApiParameter("status", str),
                    OpenApiParameter("created_from", OpenApiTypes.DATE),
                    OpenApiParameter("created_to", OpenApiTypes.DATE), OpenApiParameter("amount_min", str),
                    OpenApiParameter("amount_max", str), OpenApiParameter("limit", int)],
        responses={200: cursor_page_of(PaymentOutputSerializer), **error_responses(400)},
    )
    def get(self, request):
        found = payment_filter(merchant=request.merchant, data=request.query_params)
        if not found.is_valid():
            raise exceptions.ValidationError(found.errors)
        paginator = PaymentCursor()
        held = Q(children__kind=Kind.REFUND, children__status__in=refunds.HOLDING)
        queryset = found.qs.annotate(refunded_total=Sum("children__amount", filter=held))
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(PaymentOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="payments_create", tags=["payments"], summary="Charge a stored EoneoPay card",
        description="Sent to EoneoPay once. 201: approved. 202: EoneoPay did not answer in time; the payment "
                    "is `unknown`, flagged for a person (EoneoPay has no status call) and never sent again. "
                    "422: declined or refused (the reason in `message`, the card network's code in `code`); "
                    "`Location` names the stored payment either way.",
        parameters=[IDEMPOTENCY_HEADER], request=ChargeInputSerializer,
        responses={201: PaymentOutputSerializer, 202: PaymentOutputSerializer,
                   **error_responses(400, 409, 422, 502, 503)},
    )
    def post(self, request):
        data = _valid(ChargeInputSerializer, request.data)
        card = card_get(merchant=request.merchant, pk=data["card"])
        if card is None:
            raise exceptions.ValidationError({"card": ["No such current card of your EoneoPay customers."]})
        made = {}

        def run(link):
            def linked(tx):
                made["tx"] = tx
                link(tx)
            tx = service.payment_charge(connection=card.customer.connection, actor=actor_of(request), card=card,
                                        on_created=linked, **{k: v for k, v in data.items() if k != "card"})
            return payment_answer(tx)

        response = idempotent(request, scope="api:payments", data=data, run=run)
        return _with_location(response, request)


class PaymentDetailApi(APIView):
    permission_classes = [HasRole(Role.VIEWER)]

    @extend_schema(operation_id="payments_retrieve", tags=["payments"],
                   summary="One payment with its timeline and refunds",
                   responses={200: PaymentDetailOutputSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        return Response(PaymentDetailOutputSerializer(payment_get(merchant=request.merchant, pk=pk)).data)


@non_atomic
class PaymentRefundApi(APIView):
    permission_classes = [HasRole(Role.MANAGER)]

    @extend_schema(
        operation_id="payments_refund", tags=["payments"], summary="Refund a payment",
        description="Through the payment's provider, once per Idempotency-Key. Without `amount`, all that is "
                    "left; EoneoPay refunds in full only, so another amount is a 400. 201: the refund succeeded "
                    "(the payment is `refunded` when nothing is left); 202: its outcome is unknown (flagged, "
                    "never re-sent; its amount stays held); 422: the provider refused.",
        parameters=[IDEMPOTENCY_HEADER], request=RefundInputSerializer,
        responses={201: TransactionOutputSerializer, 202: TransactionOutputSerializer,
                   **error_responses(400, 404, 409, 422, 502, 503)},
    )
    def post(self, request, pk: int):
        payment = payment_get(merchant=request.merchant, pk=pk)
        data = _valid(RefundInputSerializer, request.data)
        amount = data["amount"].strip() or None

        def run(link):
            refund = refunds.refund_create(payment=payment, amount=amount, actor=actor_of(request),
                                           idempotency_token=request.headers.get("Idempotency-Key"))
            link(refund)
            return payment_answer(refund, TransactionOutputSerializer)

        response = idempotent(request, scope="api:payments-refund", data={"payment": pk, "amount": amount or ""},
                              run=run)
        return _with_location(response, request)


def _with_location(response: Response, request) -> Response:
    from payments.models import IdempotencyKey

    key = request.headers.get("Idempotency-Key", "").strip()
    tx = IdempotencyKey.objects.filter(merchant=request.merchant, key=key).select_related("transaction").first()
    if tx is not None and tx.transaction is not None:
        kind = "payments" if tx.transaction.kind == "payment" else "transactions"
        response["Location"] = f"/api/v1/{kind}/{tx.transaction_id}/"
    return response
