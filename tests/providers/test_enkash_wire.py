"""What the EnKash client puts on the wire: paths, methods, headers, query and JSON bodies."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs

import pytest

from providers.enkash.client import CardDetail, CustomerInfo
from providers.enkash.sandbox_data import DEMO_MERCHANT
from tests.providers import enkash_support as enkash
from tests.providers.enkash_support import NOWHERE

sb, client = enkash.sb, enkash.client


def last(sb, path: str):
    return [r for r in sb.received if r.path == path][-1]


def body(request) -> dict:
    return json.loads(request.body)


def order(client, order_id="ORD1", amount="1250.50", **extra):
    return client.create_order(order_id=order_id, amount=amount, return_url="https://shop.example/return",
                               notify_url=NOWHERE, **extra)


def assert_authenticated(request, sb) -> None:
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    assert sb.tokens[token]["merchant"] == DEMO_MERCHANT.access_key
    assert request.headers["merchantaccesskey"] == DEMO_MERCHANT.access_key
    assert request.headers["accept"] == "application/json"


def test_token_request(client, sb):
    client.authorization_token()
    request = sb.received[-1]
    assert (request.method, request.path, request.query) == ("POST", "/api/v0/merchant/token", "")
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers and "merchantaccesskey" not in request.headers
    assert body(request) == {"accessKey": DEMO_MERCHANT.access_key, "secretKey": DEMO_MERCHANT.secret_key}


def test_create_order_request(client, sb):
    order(client, customer=CustomerInfo("Asha", "Rao", "asha@example.com", "9876543210"),
          description="Notebooks", custom_parameters={"cart": 42})
    request = last(sb, "/api/v0/orders")
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert_authenticated(request, sb)
    assert body(request) == {
        "orderId": "ORD1",
        "amount": {"value": "1250.50", "currency": "INR"},
        "returnUrl": "https://shop.example/return",
        "notifyUrl": NOWHERE,
        "customerInfo": {"firstName": "Asha", "lastName": "Rao", "email": "asha@example.com",
                         "phoneNumber": "9876543210"},
        "customParameters": {"cart": "42"},
        "description": "Notebooks",
    }


def test_reads_are_gets_without_a_body(client, sb):
    order(client)
    client.order_status(order_id="ORD1")
    client.bnpl_payment_modes(order_id="ORD1")
    client.upi_intent_link(order_id="ORD1")
    client.dynamic_qr_code(order_id="ORD1")
    client.settlement_payout(payout_id=client.search_settlement_payouts().payouts[0].payout_id)
    gets = [r for r in sb.received if r.method == "GET"]
    assert [r.path for r in gets] == [
        "/api/v0/orders/ORD1", "/api/v0/orders/ORD1/bnpl-payment-modes", "/api/v0/payment-link/upi-intent/ORD1",
        "/pay/checkout/qrcode/ORD1", gets[-1].path,
    ]
    assert gets[-1].path.startswith("/api/v0/settlement-payout/EKSP")
    for request in gets:
        assert request.body == b"" and request.query == ""
        assert_authenticated(request, sb)


def test_card_payment_request(client, sb):
    order(client)
    client.submit_payment_detail(order_id="ORD1", amount="1250.5", payment_mode="CREDIT_CARD",
                                 card=CardDetail("Asha Rao", "4100 0000 0000 0001", "123", "12/39"))
    request = last(sb, "/api/v0/payment/submit")
    assert request.method == "POST"
    assert_authenticated(request, sb)
    assert body(request) == {
        "orderId": "ORD1",
        "paymentMode": "CREDIT_CARD",
        "paymentDetail": {"amount": "1250.50", "currency": "INR"},
        "cardDetail": {"cardHolderName": "Asha Rao", "cardNumber": "4100000000000001", "cvv": "123",
                       "expiry": "12/39"},
    }


@pytest.mark.parametrize(("kwargs", "fields"), [
    ({"payment_mode": "UPI", "vpa": "success@enkash"}, {"vpa": "success@enkash"}),
    ({"payment_mode": "WALLET", "bank_code": "PAYTM"}, {"bankCode": "PAYTM"}),
    ({"payment_mode": "NET_BANKING", "bank_code": "HDFC"}, {"bankCode": "HDFC"}),
    ({"payment_mode": "NET_BANKING", "bank_code": "HDFC", "account_number": "50100012345678", "ifsc": "HDFC0001234"},
     {"bankCode": "HDFC", "accountNumber": "50100012345678", "ifsc": "HDFC0001234"}),
    ({"payment_mode": "PAY_LATER", "bnpl_payment_option_id": "bnpl_lazypay_test"},
     {"bnplPaymentOptionId": "bnpl_lazypay_test"}),
])
def test_other_payment_modes_send_their_own_fields(client, sb, kwargs, fields):
    order(client)
    client.submit_payment_detail(order_id="ORD1", amount="1250.50", **kwargs)
    assert body(last(sb, "/api/v0/payment/submit")) == {
        "orderId": "ORD1", "paymentMode": kwargs["payment_mode"],
        "paymentDetail": {"amount": "1250.50", "currency": "INR"}, **fields,
    }


def test_refund_request(client, sb):
    order(client)
    payment = client.submit_payment_detail(order_id="ORD1", amount="1250.50", payment_mode="CREDIT_CARD",
                                           card=CardDetail("Asha Rao", "4100000000000001", "123", "12/39"))
    client.refund(transaction_id=payment.transaction_id, amount=50, request_id="rf-1", remarks="Damaged")
    request = last(sb, f"/api/v0/payment/{payment.transaction_id}/refund")
    assert request.method == "POST"
    assert_authenticated(request, sb)
    assert body(request) == {"amount": "50.00", "requestId": "rf-1", "remarks": "Damaged"}


def test_search_settlement_payouts_request(client, sb):
    client.search_settlement_payouts(offset=10, limit=25, order_by="settlementAmount", direction="asc",
                                     from_date=date(2025, 1, 1), to_date=date(2025, 1, 31), payout_status="SUCCESS")
    request = last(sb, "/api/v0/settlement-payout/search")
    assert request.method == "POST"
    assert_authenticated(request, sb)
    assert parse_qs(request.query) == {"offset": ["10"], "limit": ["25"], "orderBy": ["settlementAmount"],
                                       "direction": ["ASC"]}
    assert body(request) == {"fromDate": "2025-01-01", "toDate": "2025-01-31", "payoutStatus": "SUCCESS"}


def test_qr_code_requests(client, sb):
    customer = client.create_qr_customer(name="Ravi", email="ravi@example.com", mobile="9123456780")
    assert body(last(sb, "/api/v0/customer")) == {"name": "Ravi", "email": "ravi@example.com", "mobile": "9123456780"}
    qr = client.create_qr_code(name="Counter", multiple_use=False, amount="99.9", description="Tea",
                               customer_id=customer.customer_id)
    assert body(last(sb, "/api/v0/qr-code")) == {
        "qrName": "Counter", "multipleUse": False, "fixedAmount": True, "amount": "99.90", "description": "Tea",
        "customerId": customer.customer_id,
    }
    client.search_qr_codes(offset=0, limit=5, status="ACTIVE")
    search = last(sb, "/api/v0/qr-code/search")
    assert parse_qs(search.query) == {"offset": ["0"], "limit": ["5"]}
    assert body(search) == {"status": "ACTIVE"}
    client.search_qr_customers(name="Ravi")
    assert body(last(sb, "/api/v0/customer/search")) == {"name": "Ravi"}
    client.cancel_qr_code(qr_code_id=qr.qr_code_id)
    cancel = last(sb, f"/api/v0/qr-code/{qr.qr_code_id}/cancel")
    assert (cancel.method, cancel.body) == ("PATCH", b"")
    assert_authenticated(cancel, sb)


def test_answers_use_the_envelope(client, sb, sandbox):
    import requests

    token = client.authorization_token().token
    answer = requests.get(f"{sandbox.base_url('enkash')}/api/v0/orders/NOPE", timeout=5,
                          headers={"Authorization": f"Bearer {token}", "merchantAccessKey": DEMO_MERCHANT.access_key})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"response_code": 1404, "response_message": "Order NOPE not found.", "payload": None}
    answer = requests.post(f"{sandbox.base_url('enkash')}/api/v0/merchant/token", json={"accessKey": "x",
                           "secretKey": "y"}, timeout=5)
    assert (answer.status_code, answer.json()) == (401, {"token": None, "expiry": 0, "resultCode": 4001,
                                                         "resultMessage": "Invalid accessKey or secretKey."})
