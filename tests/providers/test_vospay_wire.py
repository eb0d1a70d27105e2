"""What VospayClient puts on the wire, read back from the sandbox's received requests:
paths, methods, query strings, the JWT header and the JSON bodies the doc shows."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs

import requests

from providers.base.client import Timeouts
from providers.vospay import sandbox as vs
from providers.vospay.types import OrderItem
from tests.helpers import fast_client
from tests.providers.vospay_support import idr, sign_in


def last(sandbox):
    return sandbox.sandbox("vospay").received[-1]


def test_activation_otp_is_a_get_with_action_as_a_query_parameter(sandbox):
    fast_client(sandbox, "vospay").send_otp(phone="+62 811-0000-002", action="activation")
    sent = last(sandbox)
    assert (sent.method, sent.path, sent.query) == ("GET", "/otp/08110000002", "action=activation")
    assert sent.headers["accept"] == "application/json"
    assert "authorization" not in sent.headers and sent.body == b""


def test_transaction_otp_adds_merchant_key_and_gross_amount(sandbox):
    fast_client(sandbox, "vospay").send_otp(phone=vs.PHONE_SITI, action="transaction", gross_amount=idr(30100))
    sent = last(sandbox)
    assert sent.path == "/otp/08110000002"
    assert parse_qs(sent.query) == {"action": ["transaction"], "merchantKey": ["sbx_mk_bukalapak"],
                                    "grossAmount": ["30100"]}


def test_sandbox_also_takes_the_docs_query_in_the_path_form(sandbox):
    base = sandbox.base_url("vospay")
    answer = requests.get(f"{base}/otp/{vs.PHONE_SITI}&action=activation", timeout=2)
    assert answer.status_code == 200 and answer.json() == {"message": "Success"}
    answer = requests.get(f"{base}/otp/{vs.PHONE_SITI}&action=transaction&merchantKey=sbx_mk_sociolla"
                          "&grossAmount=5000", timeout=2)
    assert answer.status_code == 200
    assert sandbox.sandbox("vospay").pending_otps[vs.PHONE_SITI]["merchantKey"] == "sbx_mk_sociolla"


def test_sign_in_bodies_for_each_strategy(sandbox):
    client = fast_client(sandbox, "vospay")
    sign_in(client)
    sent = last(sandbox)
    assert (sent.method, sent.path, sent.headers["content-type"]) == ("POST", "/authentication", "application/json")
    assert json.loads(sent.body) == {"strategy": "otp", "phone": vs.PHONE_SITI, "code": vs.TEST_OTP}
    assert "authorization" not in sent.headers
    client.create_access_token(strategy="email", email="siti.rohanah@example.id", password=vs.ACCESS_CODE_SITI)
    assert json.loads(last(sandbox).body) == {"strategy": "email", "email": "siti.rohanah@example.id",
                                              "password": vs.ACCESS_CODE_SITI}
    client.create_access_token(strategy="phone", phone="628110000002", password=vs.ACCESS_CODE_SITI)
    assert json.loads(last(sandbox).body) == {"strategy": "phone", "phone": vs.PHONE_SITI,
                                              "password": vs.ACCESS_CODE_SITI}


def test_protected_calls_send_the_jwt_scheme(sandbox):
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    client.profile(access_token=token)
    sent = last(sandbox)
    assert (sent.method, sent.path, sent.query) == ("GET", "/my-profile", "")
    assert sent.headers["authorization"] == f"JWT {token}"
    client.accounts(access_token=token, phone=vs.PHONE_SITI)
    assert (last(sandbox).path, last(sandbox).query) == ("/accounts", "phone=08110000002")
    client.merchants(access_token=token, merchant_key="sbx_mk_sociolla")
    assert (last(sandbox).path, last(sandbox).query) == ("/merchants", "merchantKey=sbx_mk_sociolla")
    client.contracts(access_token=token, limit=5, skip=0)
    assert (last(sandbox).path, parse_qs(last(sandbox).query)) == ("/transactions", {"$limit": ["5"], "$skip": ["0"]})


def test_sandbox_accepts_the_bearer_scheme_of_the_docs_security_section_too(sandbox):
    token = sign_in(fast_client(sandbox, "vospay"))
    base = sandbox.base_url("vospay")
    assert requests.get(f"{base}/my-profile", headers={"Authorization": f"Bearer {token}"}, timeout=2).ok
    missing = requests.get(f"{base}/my-profile", timeout=2)
    assert missing.status_code == 401
    assert set(missing.json()) == {"name", "message", "code", "className", "data", "errors"}


def test_activation_registration_and_access_code_bodies(sandbox):
    client = fast_client(sandbox, "vospay")
    token = sign_in(client, vs.PHONE_NEW)
    client.activate_account(access_token=token, mfc_code="234", nik="6308044810820001", phone=vs.PHONE_NEW,
                            date_of_birth=date(1988, 10, 2))
    sent = last(sandbox)
    assert (sent.method, sent.path, sent.headers["content-type"]) == ("POST", "/activation", "application/json")
    assert json.loads(sent.body) == {"mfcCode": "234", "nik": "6308044810820001", "phone": vs.PHONE_NEW,
                                     "dateOfBirth": "19881002"}
    client.register_account(access_token=token, vospay_number="2340010000000006", email="d@example.id",
                            password="Fresh-Code-8642")
    sent = last(sandbox)
    assert (sent.method, sent.path) == ("PATCH", "/registration")
    assert json.loads(sent.body) == {"vospayNumber": "2340010000000006", "password": "Fresh-Code-8642",
                                     "email": "d@example.id"}
    client.change_access_code(access_token=token, new_access_code="Other-Code-7531")
    sent = last(sandbox)
    assert (sent.method, sent.path, json.loads(sent.body)) == ("POST", "/change-password",
                                                               {"password": "Other-Code-7531"})


def test_checkout_bodies_use_json_numbers_in_whole_rupiah(sandbox):
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    authorized = client.authorize_transaction(
        access_token=token, vospay_number="2340010000000001", order_id="B0001",
        items=[OrderItem("Product A", 2, idr(10000)), OrderItem("Product B", 1, idr(5000))],
        shipping_cost=idr(5000), insurance_cost=idr(100),
    )
    sent = last(sandbox)
    assert (sent.method, sent.path, sent.headers["authorization"]) == ("POST", "/authorize-transaction",
                                                                       f"JWT {token}")
    assert json.loads(sent.body) == {
        "vospayNumber": "2340010000000001", "merchantKey": "sbx_mk_bukalapak", "orderID": "B0001",
        "currency": "IDR",
        "items": [{"name": "Product A", "quantity": 2, "price": 10000}, {"name": "Product B", "quantity": 1,
                                                                         "price": 5000}],
        "shippingCost": 5000, "insuranceCost": 100, "processingFee": 0, "tax": 0, "grossAmount": 30100,
    }
    assert b"30100.0" not in sent.body and b'"30100"' not in sent.body
    confirm = sign_in(client, action="transaction", gross=authorized.gross_amount)
    client.finalize_transaction(access_token=confirm, transaction_id=authorized.transaction_id,
                                installment_id="2", notify_url="https://merchant.example/notify")
    sent = last(sandbox)
    assert (sent.path, sent.headers["authorization"]) == ("/finalize-transaction", f"JWT {confirm}")
    assert json.loads(sent.body) == {"notifyEndpoint": "https://merchant.example/notify",
                                     "transactionID": authorized.transaction_id, "installmentID": "2"}
    client.verify_transaction(transaction_id=authorized.transaction_id, order_id="B0001", gross_amount=idr(30100))
    sent = last(sandbox)
    assert (sent.method, sent.path, sent.headers["content-type"]) == ("POST", "/verify-transaction",
                                                                      "application/json")
    assert "authorization" not in sent.headers  # the doc: no authentication
    assert json.loads(sent.body) == {"transactionID": authorized.transaction_id, "orderID": "B0001",
                                     "currency": "IDR", "grossAmount": 30100}


def test_sandbox_answers_the_documented_500_when_content_type_is_not_json(sandbox):
    base = sandbox.base_url("vospay")
    answer = requests.post(f"{base}/verify-transaction", data="transactionID=1", timeout=2,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 500
    assert answer.json()["className"] == "general-error"


def test_sandbox_answers_money_and_rates_as_exact_json_numbers(sandbox):
    """Installments and rates stay Decimal in the sandbox and go out as written: 14,100 over
    6 months at 0.03 is 2420.50 (a float would write 2420.5), the rate 0.045 stays 0.045."""
    answers: list[str] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: answers.append(response.text))
    client = fast_client(sandbox, "vospay", session=session, timeouts=Timeouts(connect=1, read=2))
    token = sign_in(client)

    authorized = client.authorize_transaction(
        access_token=token, vospay_number="2340010000000001", order_id="B0002",
        items=[OrderItem("Product A", 2, idr(2000)), OrderItem("Product B", 1, idr(5000))],
        shipping_cost=idr(5000), insurance_cost=idr(100),
    )

    answer = answers[-1]
    assert '"rate": 0.03, "period": 6, "monthlyPayment": 2420.50}' in answer
    assert '"rate": 0.045,' in answer
    plan = next(p for p in authorized.installment_plans if p.installment_id == "2")
    assert str(plan.monthly_payment.amount) == "2420.50" and plan.rate == Decimal("0.03")
    client.contracts(access_token=token)
    assert '"installment": 21458.33,' in answers[-1] and '"interestRate": 0.03,' in answers[-1]


def test_sandbox_reads_request_numbers_as_decimal(sandbox):
    """A gross amount sent as 30100.0 is still whole rupiah: the sandbox reads it as Decimal."""
    client = fast_client(sandbox, "vospay")
    token = sign_in(client)
    body = {"vospayNumber": "2340010000000001", "merchantKey": "sbx_mk_bukalapak", "orderID": "B0003",
            "currency": "IDR", "items": [{"name": "A", "quantity": 1, "price": 1000.0}], "shippingCost": 0,
            "insuranceCost": 0, "processingFee": 0, "tax": 0, "grossAmount": 1000.0}
    answer = requests.post(f"{sandbox.base_url('vospay')}/authorize-transaction", json=body, timeout=5,
                           headers={"Authorization": f"JWT {token}"})
    assert answer.status_code == 200, answer.text
    body["grossAmount"] = 1000.5
    refused = requests.post(f"{sandbox.base_url('vospay')}/authorize-transaction", json=body, timeout=5,
                            headers={"Authorization": f"JWT {token}"})
    assert refused.status_code == 400
