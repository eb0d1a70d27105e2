"""Every merchant-scoped API route answers 404 to a member or key of another merchant.

Generic on purpose: it walks the URL resolver, so a route added under /api/v1/ is
covered the moment it exists. A route with a ``pk`` needs a builder in ROUTE_RECORDS
(URL name → function(merchant) returning a record of that merchant); a new route
without one fails ``test_every_pk_route_has_a_record_builder`` and says so."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role
from tests.api.conftest import assert_error, key_client, session_client, webhook_event
from tests.eoneopay import support as eoneopay_records
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")


def _transaction(merchant, kind="payout"):
    from decimal import Decimal

    from payments.models import Transaction

    connection = ConnectionFactory(merchant=merchant)
    return Transaction.objects.create(merchant=merchant, connection=connection, provider="enigmapay", kind=kind,
                                      amount=Decimal("10.00"), currency="TRY")


def _iban(merchant):
    from payments.models import IbanAccount

    return IbanAccount.objects.create(merchant=merchant, connection=ConnectionFactory(merchant=merchant),
                                      external_id=1, iban="TR560006200000000000000101")


def _enkash_settlement(merchant):
    from payments.models import Transaction
    from tests.test_tenant_isolation_pages import enkash_settlement

    return Transaction.objects.get(pk=enkash_settlement(merchant))


def _enkash_qr_code(merchant):
    from payments.models import QrCode
    from tests.test_tenant_isolation_pages import enkash_qr_code

    return QrCode.objects.get(pk=enkash_qr_code(merchant))


def _enkash_qr_customer(merchant):
    from payments.models import QrCustomer

    return QrCustomer.objects.create(merchant=merchant, connection=ConnectionFactory(merchant=merchant,
                                     provider="enkash"), external_id="EKC1", name="Theirs")


def _enkash_order(merchant):
    from decimal import Decimal

    from payments.models import Transaction

    connection = ConnectionFactory(merchant=merchant, provider="enkash")
    return Transaction.objects.create(merchant=merchant, connection=connection, provider="enkash", kind="order",
                                      amount=Decimal("10.00"), currency="INR", external_id="PDTHEIRS")


def _vospay_contract(merchant):
    from decimal import Decimal

    from django.utils import timezone

    from payments.models import Transaction, VospayOrder

    connection = ConnectionFactory(merchant=merchant, provider="vospay")
    order = Transaction.objects.create(merchant=merchant, connection=connection, provider="vospay", kind="order",
                                       amount=Decimal("30100"), currency="IDR", raw_status="Pending")
    VospayOrder.objects.create(transaction=order, merchant_key="sbx_mk_bukalapak", finalized_at=timezone.now())
    return order


ROUTE_RECORDS = {
    "api:order-detail": _enkash_order,
    "api:order-check-status": _enkash_order,
    "api:order-payment-detail": _enkash_order,
    "api:contract-detail": _vospay_contract,
    "api:iban-balances": _iban,
    "api:transaction-detail": _transaction,
    "api:payout-detail": _transaction,
    "api:payout-check-status": _transaction,
    "api:payment-link-detail": lambda merchant: _transaction(merchant, "payment_link"),
    "api:connection-detail": lambda merchant: ConnectionFactory(merchant=merchant),
    "api:connection-test": lambda merchant: ConnectionFactory(merchant=merchant),
    "api:webhook-event-detail": lambda merchant: webhook_event(ConnectionFactory(merchant=merchant)),
    "api:webhook-event-reprocess": lambda merchant: webhook_event(ConnectionFactory(merchant=merchant)),
    "api:settlement-detail": _enkash_settlement,
    "api:qr-code-detail": _enkash_qr_code,
    "api:qr-code-cancel": _enkash_qr_code,
    "api:qr-customer-detail": _enkash_qr_customer,
    # EoneoPay customers and the payments resource (tests/eoneopay/support.py).
    "api:customer-detail": eoneopay_records.customer_record,
    "api:payment-detail": eoneopay_records.payment_record,
    "api:payment-refund": eoneopay_records.payment_record,
}


def api_routes(patterns=None, prefix: str = "", namespace: str = ""):
    """(route text, URL name with namespace, view class) of every pattern under /api/v1/."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from api_routes(pattern.url_patterns, route, ns)
        elif isinstance(pattern, URLPattern) and route.startswith(API_PREFIX):
            yield route, f"{namespace}{pattern.name}", getattr(pattern.callback, "cls", None)


PK_ROUTES = [(route, name, cls) for route, name, cls in api_routes() if "<id:pk>" in route or "<int:pk>" in route]
ALL_ROUTES = list(api_routes())


def url_for(route: str, pk) -> str:
    return "/" + route.replace("<id:pk>", str(pk)).replace("<int:pk>", str(pk))


def methods(cls) -> list[str]:
    return [m for m in METHODS if hasattr(cls, m)]


def test_the_walk_finds_the_routes():
    names = {name for _, name, _ in PK_ROUTES}
    assert {"api:connection-detail", "api:connection-test", "api:webhook-event-detail"} <= names


def test_every_pk_route_has_a_record_builder():
    missing = sorted({name for _, name, _ in PK_ROUTES} - set(ROUTE_RECORDS))
    assert not missing, f"add a builder to ROUTE_RECORDS in {__file__} for {missing}"


@pytest.mark.parametrize(("route", "name", "cls"), PK_ROUTES, ids=[name for _, name, _ in PK_ROUTES])
def test_another_merchants_record_is_404_for_every_method(merchant_a, merchant_b, route, name, cls):
    theirs = ROUTE_RECORDS[name](merchant_b)
    url = url_for(route, theirs.pk)
    owner = session_client(merchant_a, Role.OWNER)
    key = key_client(merchant_a, Role.MANAGER)
    for method in methods(cls):
        response = getattr(owner, method)(url, {}, content_type="application/json")
        assert_error(response, 404, "not_found")
        response = getattr(key, method)(url, {}, content_type="application/json")
        # A role gate (owner-only operation) answers before any lookup, for every pk alike.
        if response.status_code == 403:
            assert assert_error(response, 403, "permission_denied")["message"].startswith("This needs the")
        else:
            assert_error(response, 404, "not_found")
        assert str(theirs.pk) not in response.content.decode().replace(url, "")
    # The same route works for the record's own merchant (so the 404 above meant something).
    assert session_client(merchant_b, Role.OWNER).get(url).status_code in (200, 405)


@pytest.mark.parametrize(("route", "name", "cls"), ALL_ROUTES, ids=[name for _, name, _ in ALL_ROUTES])
def test_every_api_route_is_401_for_anonymous(client, route, name, cls):
    for method in methods(cls):
        response = getattr(client, method)(url_for(route, 1), {}, content_type="application/json")
        assert_error(response, 401, "not_authenticated")
