"""Cross-tenant isolation, walked from the URL conf: every dashboard route that names a
record by id, asked by an owner of another merchant with a record of the first merchant,
is a 404 for GET and POST alike. A new route with an id must register how to make its
record below, or this test fails: no route can escape the check by being forgotten."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from payments.models import IbanAccount, Kind, Transaction
from tests.eoneopay import support as eoneopay_records
from tests.factories import ConnectionFactory, MembershipFactory, MerchantFactory

pytestmark = pytest.mark.django_db


def connection(merchant):
    return ConnectionFactory(merchant=merchant).pk


def transaction(merchant):
    conn = ConnectionFactory(merchant=merchant)
    return Transaction.objects.create(merchant=merchant, connection=conn, provider="enigmapay", kind=Kind.PAYOUT,
                                      amount=Decimal("10.00"), currency="TRY").pk


def iban(merchant):
    conn = ConnectionFactory(merchant=merchant)
    return IbanAccount.objects.create(merchant=merchant, connection=conn, external_id=1, iban="TR560006200000000000000101").pk


def membership(merchant):
    return MembershipFactory(merchant=merchant, role="manager").pk


def api_key(merchant):
    from accounts.services import api_key_create

    key, _ = api_key_create(merchant=merchant, name="theirs", role="manager", created_by=None)
    return key.pk


def enkash_settlement(merchant):
    from payments.models import SettlementDetail

    conn = ConnectionFactory(merchant=merchant, provider="enkash")
    tx = Transaction.objects.create(merchant=merchant, connection=conn, provider="enkash", kind=Kind.SETTLEMENT,
                                    external_id="EKSP1", amount=Decimal("10.00"), currency="INR")
    zero = Decimal("0")
    SettlementDetail.objects.create(transaction=tx, total_sales=zero, total_refunds=zero, total_charges=zero,
                                    total_gst=zero, settlement_amount=zero, carry_forward_amount=zero,
                                    adjustment_amount=zero)
    return tx.pk


def enkash_qr_code(merchant):
    from payments.models import QrCode

    conn = ConnectionFactory(merchant=merchant, provider="enkash")
    return QrCode.objects.create(merchant=merchant, connection=conn, external_id="EKQR1", name="theirs",
                                 png=b"\x89PNG").pk


def enkash_order(merchant, kind=Kind.ORDER):
    conn = ConnectionFactory(merchant=merchant, provider="enkash")
    order = Transaction.objects.create(merchant=merchant, connection=conn, provider="enkash", kind=Kind.ORDER,
                                       amount=Decimal("10.00"), currency="INR", external_id="PDTHEIRS")
    if kind == Kind.ORDER:
        return order.pk
    return Transaction.objects.create(merchant=merchant, connection=conn, provider="enkash", kind=kind,
                                      parent=order, amount=Decimal("10.00"), currency="INR",
                                      status="succeeded", external_id="EKTTHEIRS").pk


def vospay_order(merchant):
    from payments.models import VospayOrder

    conn = ConnectionFactory(merchant=merchant, provider="vospay")
    order = Transaction.objects.create(merchant=merchant, connection=conn, provider="vospay", kind=Kind.ORDER,
                                       amount=Decimal("30100"), currency="IDR")
    VospayOrder.objects.create(transaction=order, merchant_key="sbx_mk_bukalapak")
    return order.pk


# URL name → kwarg → how to make a record of a given merchant and return its id.
RECORD_MAKERS = {
    "payments:vospay-order-detail": {"pk": vospay_order},
    "payments:vospay-order-cancel": {"pk": vospay_order},
    "payments:vospay-order-verify": {"pk": vospay_order},
    "providers:connection-detail": {"pk": connection},
    "providers:connection-test": {"pk": connection},
    "payments:iban-refresh": {"connection_pk": connection},
    "payments:iban-detail": {"pk": iban},
    "payments:payout-check": {"pk": transaction},
    "payments:transaction-detail": {"pk": transaction},
    "payments:transaction-status": {"pk": transaction},
    "accounts:team-member-role": {"pk": membership},
    "accounts:team-member-remove": {"pk": membership},
    "accounts:api-key-revoke": {"pk": api_key},
    "payments:enkash-settlement-detail": {"pk": enkash_settlement},
    "payments:enkash-settlement-check": {"pk": enkash_settlement},
    "payments:enkash-settlement-items": {"pk": enkash_settlement},
    "payments:enkash-qr-detail": {"pk": enkash_qr_code},
    "payments:enkash-qr-png": {"pk": enkash_qr_code},
    "payments:enkash-qr-cancel": {"pk": enkash_qr_code},
    "payments:enkash-qr-check": {"pk": enkash_qr_code},
    "payments:enkash-order-detail": {"pk": enkash_order},
    "payments:enkash-order-qr": {"pk": enkash_order},
    "payments:enkash-order-check": {"pk": enkash_order},
    "payments:enkash-order-pay": {"pk": enkash_order},
    "payments:enkash-payment-refund": {"pk": lambda merchant: enkash_order(merchant, Kind.PAYMENT)},
    # EoneoPay desk and the payments pages (tests/eoneopay/support.py).
    "payments:payment-detail": {"pk": lambda m: eoneopay_records.payment_record(m).pk},
    "payments:payment-refund": {"pk": lambda m: eoneopay_records.payment_record(m).pk},
    **{name: {"pk": lambda m: eoneopay_records.customer_record(m).pk} for name in (
        "payments:eoneopay-customer-detail", "payments:eoneopay-customer-edit", "payments:eoneopay-customer-delete",
        "payments:eoneopay-card-add", "payments:eoneopay-bank-add")},
    "payments:eoneopay-card-remove": {"pk": lambda m: eoneopay_records.customer_record(m).pk,
                                      "card_pk": lambda m: eoneopay_records.card_record(m).pk},
    "payments:eoneopay-bank-remove": {"pk": lambda m: eoneopay_records.customer_record(m).pk,
                                      "bank_pk": lambda m: eoneopay_records.bank_record(m).pk},
    "payments:eoneopay-api-keys": {"connection_pk": lambda m: eoneopay_records.eoneopay_connection_record(m).pk},
    "payments:eoneopay-api-key-create": {
        "connection_pk": lambda m: eoneopay_records.eoneopay_connection_record(m).pk},
    "payments:eoneopay-api-key-check": {"pk": lambda m: eoneopay_records.api_key_record(m).pk},
    "payments:eoneopay-api-key-revoke": {"pk": lambda m: eoneopay_records.api_key_record(m).pk},
}
# Kwargs that pick no merchant-scoped record (a provider name, a callback token).
NOT_RECORDS = {"provider", "token"}


def dashboard_routes(patterns=None, prefix="", namespace=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from dashboard_routes(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            if route.startswith("dashboard/"):
                yield f"{namespace}:{p.name}" if namespace else p.name, route, set(p.pattern.converters)


def test_every_dashboard_route_with_an_id_is_registered_here():
    missing = [name for name, _, kwargs in dashboard_routes() if kwargs - NOT_RECORDS and name not in RECORD_MAKERS]
    assert not missing, f"register these routes in RECORD_MAKERS: {missing}"


@pytest.mark.parametrize("name", sorted(RECORD_MAKERS))
def test_another_merchants_record_is_404(name):
    routes = {n: route for n, route, _ in dashboard_routes()}
    assert name in routes, f"{name} is registered here but not routed: remove it from RECORD_MAKERS"
    victim = MerchantFactory()
    stranger = MembershipFactory(merchant=MerchantFactory(), role="owner").user
    path = "/" + routes[name]
    for kwarg, make in RECORD_MAKERS[name].items():
        record = str(make(victim))
        path = path.replace(f"<int:{kwarg}>", record).replace(f"<id:{kwarg}>", record)
    client = Client()
    client.force_login(stranger)
    assert client.get(path).status_code in (404, 405)
    assert client.post(path).status_code == 404
