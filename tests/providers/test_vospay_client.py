"""VospayClient against the running Vospay sandbox over real HTTP: every operation's
typed result, and every documented (and sandbox-answered) error status."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest

from providers.base.client import Timeouts
from providers.base.errors import (
    ProviderAuthenticationError,
    ProviderError,
    ProviderInputError,
    ProviderInvalidResponse,
    ProviderOutcomeUnknown,
    ProviderRejected,
)
from providers.base.money import Money
from providers.vospay import sandbox as vs
from providers.vospay.client import VospayClient, national_phone, parse_notify_callback
from providers.vospay.errors import AccountLocked, CreditLimited
from providers.vospay.types import OrderItem
from tests.helpers import fast_client
from tests.providers.vospay_support import NOTIFY, idr

BUKALAPAK = "sbx_mk_bukalapak"


def otp_token(client, phone: str, action: str = "activation", gross: Money | None = None) -> str:
    client.send_otp(phone=phone, action=action, gross_amount=gross)
    return client.create_access_token(strategy="otp", phone=phone, code=vs.TEST_OTP).token


def order(client, token: str, number: str, *, price: int = 10000, order_id: str = "B0001"):
    """The doc's example order: 2 x 10,000 + 5,000, shipping 5,000, insurance 100 = 30,100."""
    return client.authorize_transaction(
        access_token=token, vospay_number=number, order_id=order_id,
        items=[OrderItem("Product A", 2, idr(price)), OrderItem("Product B", 1, idr(5000))],
        shipping_cost=idr(5000), insurance_cost=idr(100),
    )


def confirmed(client, phone: str, authorized) -> str:
    """A token from a transaction OTP for this merchant and amount: what finalize needs."""
    return otp_token(client, phone, "transaction", authorized.gross_amount)


def assert_error(exc: ProviderError, cls, code: str, status: int | None) -> None:
    assert type(exc) is cls, type(exc)
    assert exc.code == code
    assert exc.http_status == status
    assert exc.provider == "vospay"
    assert exc.message[0].isupper() and exc.message.endswith("."), exc.message
    assert len(exc.message.split()) >= 5


# -- connection ----------------------------------------------------------------------------
def test_check_proves_the_base_url_is_vospay(sandbox):
    assert "Vospay answered" in fast_client(sandbox, "vospay").check()
    assert sandbox.sandbox("vospay").pending_otps == {}  # the probe texted nobody


def test_check_against_an_address_that_is_not_vospay_fails(sandbox):
    client = VospayClient(base_url=sandbox.url + "/nowhere", timeouts=Timeouts(1, 0.5))
    with pytest.raises(ProviderRejected) as e:
        client.check()
    assert e.value.http_status == 404


# -- OTP and sign-in -----------------------------------------------------------------------
def test_send_activation_otp_and_sign_in_with_it(sandbox):
    client = fast_client(sandbox, "vospay")
    sent = client.send_otp(phone="+62 811-0000-002", action="activation")
    assert (sent.phone, sent.action, sent.message) == ("08110000002", "activation", "Success")
    token = client.create_access_token(strategy="otp", phone=vs.PHONE_SITI, code=vs.TEST_OTP)
    assert token.strategy == "otp"
    assert token.user_id == "5af29f13e1bb9456a734bc01"
    assert token.expires_at is not None and token.token.count(".") == 2
    assert token.token not in repr(token)


def test_an_otp_is_spent_by_the_token_it_buys(sandbox):
    client = fast_client(sandbox, "vospay")
    otp_token(client, vs.PHONE_SITI)
    with pytest.raises(ProviderAuthenticationError) as e:
        client.create_access_token(strategy="otp", phone=vs.PHONE_SITI, code=vs.TEST_OTP)
    assert_error(e.value, ProviderAuthenticationError, "sign_in_failed", 401)


def test_send_transaction_otp_carries_merchant_and_gross_amount(sandbox):
    client = fast_client(sandbox, "vospay")
    sent = client.send_otp(phone=vs.PHONE_SITI, action="transaction", gross_amount=idr(30100))
    assert sent.action == "transaction"
    pending = sandbox.sandbox("vospay").pending_otps[vs.PHONE_SITI]
    assert (pending["merchantKey"], pending["grossAmount"]) == (BUKALAPAK, "30100")


def assert_refused_locally(sandbox, exc: ProviderError, code: str, operation: str, received_before: int = 0) -> None:
    """Refused by the client before sending: ProviderInputError, no status, no request."""
    assert_error(exc, ProviderInputError, code, None)
    assert isinstance(exc, ProviderRejected) and isinstance(exc, ValueError)
    assert exc.operation == operation
    assert len(sandbox.sandbox("vospay").received) == received_before


def test_transaction_otp_needs_amount_and_merchant_before_any_call(sandbox):
    with pytest.raises(ProviderInputError) as e:
        fast_client(sandbox, "vospay").send_otp(phone=vs.PHONE_SITI, action="transaction")
    assert_refused_locally(sandbox, e.value, "gross_amount_missing", "send_otp")
    assert "gross amount" in e.value.message
    keyless = fast_client(sandbox, "vospay", merchant_key=None)
    with pytest.raises(ProviderInputError) as e:
        keyless.send_otp(phone=vs.PHONE_SITI, action="transaction", gross_amount=idr(1000))
    assert_refused_locally(sandbox, e.value, "merchant_key_missing", "send_otp")
    assert "merchant key" in e.value.message


@pytest.mark.parametrize(("gross", "code"), [
    (idr("1000.50"), "invalid_amount"),
    (Money(Decimal(1000), "AUD"), "currency_not_supported"),
])
def test_transaction_otp_amount_is_checked_before_any_call(sandbox, gross, code):
    with pytest.raises(ProviderInputError) as e:
        fast_client(sandbox, "vospay").send_otp(phone=vs.PHONE_SITI, action="transaction", gross_amount=gross)
    assert_refused_locally(sandbox, e.value, code, "send_otp")


def test_protected_calls_need_the_customer_session_before_any_call(sandbox):
    with pytest.raises(ProviderInputError) as e:
        fast_client(sandbox, "vospay").profile(access_token="")
    assert_refused_locally(sandbox, e.value, "access_token_missing", "profile")


def test_verify_refuses_a_fractional_amount_before_any_call(sandbox):
    with pytest.raises(ProviderInputError) as e:
        fast_client(sandbox, "vospay").verify_transaction(transaction_id="T1", order_id="B1", gross_amount=idr("30100.5"))
    assert_refused_locally(sandbox, e.value, "invalid_amount", "verify_transaction")


@pytest.mark.parametrize("phone", [vs.PHONE_UNKNOWN, "0812"])
def test_otp_for_an_unknown_or_invalid_phone_is_a_documented_500_refusal(sandbox, phone):
    with pytest.raises(ProviderRejected) as e:
        fast_client(sandbox, "vospay").send_otp(phone=phone, action="activation")
    assert_error(e.value, ProviderRejected, "otp_refused", 500)
    assert e.value.upstream_message in ("Phone number is not found", "Phone number is invalid")


def test_transaction_otp_for_an_unknown_merchant_is_refused(sandbox):
    with pytest.raises(ProviderRejected) as e:
        fast_client(sandbox, "vospay").send_otp(phone=vs.PHONE_SITI, action="transaction", gross_amount=idr(5000),
                                      merchant_key="sbx_mk_nobody")
    assert e.value.code == "otp_refused" and e.value.upstream_message == "Merchant is not found"


def test_sign_in_with_email_and_with_phone_and_access_code(sandbox):
    client = fast_client(sandbox, "vospay")
    by_email = client.create_access_token(strategy="email", email="SITI.ROHANAH@example.id",
                                          password=vs.ACCESS_CODE_SITI)
    by_phone = client.create_access_token(strategy="phone", phone=vs.PHONE_LOCKED, password=vs.ACCESS_CODE_BUDI)
    assert (by_email.strategy, by_email.user_id) == ("email", "5af29f13e1bb9456a734bc01")
    assert (by_phone.strategy, by_phone.user_id) == ("phone", "5af29f13e1bb9456a734bc02")


@pytest.mark.parametrize("kwargs", [
    {"strategy": "otp", "phone": vs.PHONE_SITI, "code": "000000"},
    {"strategy": "email", "email": "siti.rohanah@example.id", "password": "wrong-code"},
    {"strategy": "phone", "phone": vs.PHONE_NEW, "password": "never-registered"},
])
def test_wrong_otp_or_access_code_is_a_401(sandbox, kwargs):
    client = fast_client(sandbox, "vospay")
    client.send_otp(phone=vs.PHONE_SITI, action="activation")
    with pytest.raises(ProviderAuthenticationError) as e:
        client.create_access_token(**kwargs)
    assert_error(e.value, ProviderAuthenticationError, "sign_in_failed", 401)


def test_sign_in_without_a_usable_phone_is_the_documented_400(sandbox):
    with pytest.raises(ProviderRejected) as e:
        fast_client(sandbox, "vospay").create_access_token(strategy="otp", phone=" - ", code=vs.TEST_OTP)
    assert_error(e.value, ProviderRejected, "sign_in_incomplete", 400)
    sent = len(sandbox.sandbox("vospay").received)
    with pytest.raises(ProviderInputError) as e:
        fast_client(sandbox, "vospay").create_access_token(strategy="otp", phone=vs.PHONE_SITI)
    assert_refused_locally(sandbox, e.value, "sign_in_incomplete", "create_access_token", sent)
    assert "needs the OTP" in e.value.message
    with pytest.raises(ProviderInputError) as e:
        fast_client(sandbox, "vospay").create_access_token(strategy="sms", phone=vs.PHONE_SITI, code=vs.TEST_OTP)
    assert_refused_locally(sandbox, e.value, "invalid_sign_in_strategy", "create_access_token", sent)
    assert vs.TEST_OTP not in str(e.value)


def test_expired_token_is_rejected_as_a_session_error(sandbox):
    client = fast_client(sandbox, "vospay")
    sandbox.sandbox("vospay").configure({"token_ttl": -1})
    token = otp_token(client, vs.PHONE_SITI)
    with pytest.raises(ProviderAuthenticationError) as e:
        client.profile(access_token=token)
    assert_error(e.value, ProviderAuthenticationError, "access_token_rejected", 401)
    assert e.value.upstream_message == "jwt expired"


# -- activation and registration -------------------------------------------------------------
def test_activation_then_registration_then_sign_in_with_the_new_access_code(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_NEW)
    activation = client.activate_account(access_token=token, mfc_code="234", nik="6308044810820001",
                                         phone=vs.PHONE_NEW, date_of_birth=date(1988, 10, 2))
    assert activation.has_registered is False
    accounts = client.accounts(access_token=token, phone=vs.PHONE_NEW)
    assert [(a.vospay_number, a.multifinance.name) for a in accounts.accounts] == [("2340010000000006", "MPM")]
    assert client.register_account(access_token=token, vospay_number="2340010000000006",
                                   email="dominggus@example.id", password="Fresh-Code-8642") == "Success"
    again = client.create_access_token(strategy="email", email="dominggus@example.id", password="Fresh-Code-8642")
    profile = client.profile(access_token=again.token)
    assert profile.full_name == "Dominggus Sirius Octovianus"
    (account,) = profile.accounts
    assert account.credit_limit == account.available_credit == idr(1000000)
    assert account.is_locked is False and account.mfc_code == "234"


def test_activation_is_idempotent_and_reports_an_existing_registration(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI_OFFER)
    fields = dict(access_token=token, mfc_code="236", nik="6301044309680001", phone=vs.PHONE_SITI_OFFER,
                  date_of_birth=date(1968, 9, 3))
    assert client.activate_account(**fields).has_registered is True
    assert client.activate_account(**fields).has_registered is True
    assert client.accounts(access_token=token).total == 4


def test_activation_with_data_that_does_not_match_is_refused(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_NEW)
    with pytest.raises(ProviderRejected) as e:
        client.activate_account(access_token=token, mfc_code="234", nik="6308044810820001",
                                phone=vs.PHONE_NEW, date_of_birth=date(1988, 10, 3))
    assert_error(e.value, ProviderRejected, "activation_mismatch", 400)


def test_activation_without_a_nik_is_the_documented_500_refusal(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_NEW)
    with pytest.raises(ProviderRejected) as e:
        client.activate_account(access_token=token, mfc_code="234", nik="", phone=vs.PHONE_NEW,
                                date_of_birth=date(1988, 10, 2))
    assert_error(e.value, ProviderRejected, "activation_incomplete", 500)


def test_registration_errors(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    with pytest.raises(ProviderRejected) as e:
        client.register_account(access_token=token, vospay_number="2340010000000004", password="Whatever-123")
    assert_error(e.value, ProviderRejected, "account_not_found", 404)  # Budi's account, not Siti's
    with pytest.raises(ProviderRejected) as e:
        client.register_account(access_token=token, vospay_number="2340010000000001", password="")
    assert_error(e.value, ProviderRejected, "registration_invalid", 400)


def test_change_access_code(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    assert client.change_access_code(access_token=token, new_access_code="New-Siti-Code-1") == "Success"
    client.create_access_token(strategy="phone", phone=vs.PHONE_SITI, password="New-Siti-Code-1")
    with pytest.raises(ProviderAuthenticationError):
        client.create_access_token(strategy="phone", phone=vs.PHONE_SITI, password=vs.ACCESS_CODE_SITI)


def test_change_access_code_errors(sandbox):
    client = fast_client(sandbox, "vospay")
    with pytest.raises(ProviderRejected) as e:
        client.change_access_code(access_token=otp_token(client, vs.PHONE_NEW), new_access_code="Long-Enough-1")
    assert_error(e.value, ProviderRejected, "account_not_found", 404)  # not activated yet
    with pytest.raises(ProviderRejected) as e:
        client.change_access_code(access_token=otp_token(client, vs.PHONE_SITI), new_access_code="abc")
    assert_error(e.value, ProviderRejected, "access_code_invalid", 400)


# -- reads ----------------------------------------------------------------------------------
def test_accounts_all_and_by_phone(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    everything = client.accounts(access_token=token)
    assert everything.total == 3
    assert [a.vospay_number for a in everything.accounts] == ["2340010000000001", "2350010000000002",
                                                              "2360010000000003"]
    on_phone = client.accounts(access_token=token, phone=vs.PHONE_SITI_MEGA)
    assert [(a.vospay_number, a.multifinance.name, a.multifinance.phone) for a in on_phone.accounts] == [
        ("2360010000000003", "Bank Mega", "02155512321")]


def test_accounts_not_found(sandbox):
    client = fast_client(sandbox, "vospay")
    with pytest.raises(ProviderRejected) as e:
        client.accounts(access_token=otp_token(client, vs.PHONE_SITI), phone=vs.PHONE_LOCKED)
    assert_error(e.value, ProviderRejected, "accounts_not_found", 404)
    with pytest.raises(ProviderRejected) as e:
        client.accounts(access_token=otp_token(client, vs.PHONE_NEW))
    assert_error(e.value, ProviderRejected, "accounts_not_found", 404)


def test_merchants_all_and_by_key(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    everything = client.merchants(access_token=token)
    assert everything.total == 3
    assert [m.name for m in everything.merchants] == ["Bukalapak", "Sociolla", "Tokopedia"]
    (one,) = client.merchants(access_token=token, merchant_key="sbx_mk_sociolla").merchants
    assert (one.merchant_id, one.merchant_key, one.site) == ("5ae2a756bfa800e3265ad831", "sbx_mk_sociolla",
                                                             "https://www.sociolla.com/")
    assert not hasattr(one, "secret_key")
    assert client.merchants(access_token=token, merchant_key="sbx_mk_nobody").merchants == ()


def test_profile(sandbox):
    client = fast_client(sandbox, "vospay")
    profile = client.profile(access_token=otp_token(client, vs.PHONE_LOCKED))
    assert (profile.full_name, profile.email, profile.nik) == ("Budi Santoso", "budi.santoso@example.id",
                                                               "3171011201850003")
    assert "3171011201850003" not in repr(profile)
    (account,) = profile.accounts
    assert account.is_locked is True
    assert account.credit_limit == idr(20000000) and account.available_credit.currency == "IDR"
    assert account.activated_at.tzinfo is not None and account.account_expiry > account.activated_at


def test_contracts_with_remaining_periods_next_due_date_and_idr_amounts(sandbox):
    client = fast_client(sandbox, "vospay")
    result = client.contracts(access_token=otp_token(client, vs.PHONE_SITI))
    (contract,) = result.contracts
    assert result.total == 1
    assert (contract.period, contract.remaining_period) == (6, 3)
    assert contract.installment == Money(Decimal("21458.33"), "IDR")
    assert contract.transaction_amount == idr(125000)
    assert contract.interest_rate == Decimal("0.03")
    assert (contract.raw_status, contract.status, contract.merchant_name) == ("Approved", "succeeded", "Sociolla")
    assert contract.next_payment_due > contract.transaction_date
    assert contract.next_payment_due >= date.today() - timedelta(days=1)
    assert contract.contract_number.startswith("234") and len(contract.contract_number) == 21


@pytest.mark.parametrize("call", [
    lambda c, t: c.accounts(access_token=t),
    lambda c, t: c.merchants(access_token=t),
    lambda c, t: c.profile(access_token=t),
    lambda c, t: c.contracts(access_token=t),
    lambda c, t: c.change_access_code(access_token=t, new_access_code="Whatever-123"),
    lambda c, t: c.register_account(access_token=t, vospay_number="2340010000000001", password="Whatever-123"),
    lambda c, t: c.activate_account(access_token=t, mfc_code="234", nik="6308044810820001", phone=vs.PHONE_NEW,
                                    date_of_birth=date(1988, 10, 2)),
    lambda c, t: order(c, t, "2340010000000001"),
])
def test_every_protected_operation_answers_401_to_a_forged_token(sandbox, call):
    client = fast_client(sandbox, "vospay")
    forged = otp_token(client, vs.PHONE_SITI)[:-4] + "AAAA"
    with pytest.raises(ProviderAuthenticationError) as e:
        call(client, forged)
    assert_error(e.value, ProviderAuthenticationError, "access_token_rejected", 401)


# -- checkout ---------------------------------------------------------------------------------
def test_authorize_returns_installment_plans(sandbox):
    client = fast_client(sandbox, "vospay")
    authorized = order(client, otp_token(client, vs.PHONE_SITI), "2340010000000001")
    assert authorized.gross_amount == idr(30100)
    assert (authorized.full_name, authorized.vospay_number) == ("Siti Rohanah", "2340010000000001")
    assert authorized.available_credit == idr(49875000) and authorized.credit_limit == idr(50000000)
    assert len(authorized.transaction_id) == 24 and authorized.account_expiry > date.today()
    plans = {p.installment_id: p for p in authorized.installment_plans}
    assert [(p.period, p.rate) for p in plans.values()] == [
        (3, Decimal("0.02")), (6, Decimal("0.03")), (9, Decimal("0.045")), (12, Decimal("0.06"))]
    assert plans["2"].monthly_payment == Money(Decimal("5167.17"), "IDR")  # 30,100 x 1.03 / 6
    assert plans["1"].monthly_payment == idr(10234)


def test_authorize_errors(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    with pytest.raises(ProviderRejected) as e:
        order(client, token, "2340010000000004")  # Budi's account
    assert_error(e.value, ProviderRejected, "account_or_merchant_not_found", 404)
    with pytest.raises(ProviderRejected) as e:
        client.authorize_transaction(access_token=token, vospay_number="2340010000000001", order_id="B1",
                                     items=[OrderItem("A", 1, idr(1000))], merchant_key="sbx_mk_nobody")
    assert_error(e.value, ProviderRejected, "account_or_merchant_not_found", 404)
    with pytest.raises(ProviderRejected) as e:
        client.authorize_transaction(access_token=token, vospay_number="2340010000000001", order_id="B1", items=[])
    assert_error(e.value, ProviderRejected, "order_invalid", 400)
    sent = len(sandbox.sandbox("vospay").received)
    with pytest.raises(ProviderInputError) as e:
        client.authorize_transaction(access_token=token, vospay_number="2340010000000001", order_id="B1",
                                     items=[OrderItem("A", 1, Money(Decimal(5), "AUD"))])
    assert_refused_locally(sandbox, e.value, "currency_not_supported", "authorize_transaction", sent)
    assert "IDR only" in e.value.message
    with pytest.raises(ProviderInputError) as e:
        client.authorize_transaction(access_token=token, vospay_number="2340010000000001", order_id="B1",
                                     items=[OrderItem("A", 1, idr("999.99"))])
    assert_refused_locally(sandbox, e.value, "invalid_amount", "authorize_transaction", sent)


def test_finalize_commits_credit_and_opens_a_contract_that_the_multifinance_approves(sandbox):
    sandbox.sandbox("vospay").configure({"completion_delay": 0.5})
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    authorized = order(client, token, "2340010000000001")
    done = client.finalize_transaction(access_token=confirmed(client, vs.PHONE_SITI, authorized),
                                       transaction_id=authorized.transaction_id, installment_id="2", notify_url=NOTIFY)
    assert (done.raw_status, done.status, done.installment_id) == ("Success", "succeeded", "2")
    account = next(a for a in client.profile(access_token=token).accounts if a.vospay_number == "2340010000000001")
    assert account.available_credit == idr(49875000 - 30100)
    newest = client.contracts(access_token=token).contracts[0]
    assert (newest.transaction_id, newest.raw_status, newest.status) == (authorized.transaction_id, "Pending",
                                                                         "pending")
    assert (newest.period, newest.remaining_period, newest.installment) == (6, 6, Money(Decimal("5167.17"), "IDR"))
    assert newest.next_payment_due > newest.transaction_date
    time.sleep(0.55)
    assert client.contracts(access_token=token).contracts[0].status == "succeeded"


def test_finalize_on_a_locked_account_is_its_own_refusal(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_LOCKED)
    authorized = order(client, token, "2340010000000004")
    with pytest.raises(AccountLocked) as e:
        client.finalize_transaction(access_token=confirmed(client, vs.PHONE_LOCKED, authorized),
                                    transaction_id=authorized.transaction_id, installment_id="1", notify_url=NOTIFY)
    assert isinstance(e.value, ProviderRejected)
    assert (e.value.code, e.value.http_status, e.value.vospay_number) == ("account_locked", 200, "2340010000000004")
    assert "locked" in e.value.message
    assert client.contracts(access_token=token).total == 0


def test_finalize_beyond_available_credit_is_the_limited_refusal(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_LIMITED)
    authorized = order(client, token, "2350010000000005", price=50000)  # 110,100 > 100,000 available
    with pytest.raises(CreditLimited) as e:
        client.finalize_transaction(access_token=confirmed(client, vs.PHONE_LIMITED, authorized),
                                    transaction_id=authorized.transaction_id, installment_id="1", notify_url=NOTIFY)
    assert (e.value.code, e.value.http_status, e.value.vospay_number) == ("credit_limited", 200, "2350010000000005")
    assert client.profile(access_token=token).accounts[0].available_credit == idr(100000)
    small = order(client, token, "2350010000000005", order_id="B0002")  # 30,100 fits
    client.finalize_transaction(access_token=confirmed(client, vs.PHONE_LIMITED, small),
                                transaction_id=small.transaction_id, installment_id="1", notify_url=NOTIFY)
    assert client.profile(access_token=token).accounts[0].available_credit == idr(100000 - 30100)


def test_finalize_needs_a_transaction_otp_for_this_purchase(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    authorized = order(client, token, "2340010000000001")
    with pytest.raises(ProviderAuthenticationError) as e:
        client.finalize_transaction(access_token=token, transaction_id=authorized.transaction_id,
                                    installment_id="2", notify_url=NOTIFY)
    assert_error(e.value, ProviderAuthenticationError, "access_token_rejected", 401)
    other_amount = otp_token(client, vs.PHONE_SITI, "transaction", idr(999))
    with pytest.raises(ProviderAuthenticationError):
        client.finalize_transaction(access_token=other_amount, transaction_id=authorized.transaction_id,
                                    installment_id="2", notify_url=NOTIFY)


def test_finalize_errors(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    authorized = order(client, token, "2340010000000001")
    ok_token = confirmed(client, vs.PHONE_SITI, authorized)
    finalize = client.finalize_transaction
    with pytest.raises(ProviderRejected) as e:
        finalize(access_token=ok_token, transaction_id="0" * 24, installment_id="2", notify_url=NOTIFY)
    assert_error(e.value, ProviderRejected, "transaction_not_found", 404)
    with pytest.raises(ProviderRejected) as e:
        finalize(access_token=ok_token, transaction_id=authorized.transaction_id, installment_id="9",
                 notify_url=NOTIFY)
    assert_error(e.value, ProviderRejected, "installment_invalid", 400)


def test_finalize_answered_409_already_finalized_is_unknown_and_verify_settles_it(sandbox):
    # The doc lists no 409 for finalize: "already finalized" may be this very request's
    # contract, answered late, so it is not a refusal; verify_transaction says what stands.
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    authorized = order(client, token, "2340010000000001")
    ok_token = confirmed(client, vs.PHONE_SITI, authorized)
    args = dict(access_token=ok_token, transaction_id=authorized.transaction_id, installment_id="2",
                notify_url=NOTIFY)
    client.finalize_transaction(**args)
    with pytest.raises(ProviderOutcomeUnknown) as e:
        client.finalize_transaction(**args)
    assert_error(e.value, ProviderOutcomeUnknown, "outcome_unknown_http_409", 409)
    assert "may or may not have gone through" in e.value.message
    verified = client.verify_transaction(transaction_id=authorized.transaction_id, order_id=authorized.order_id,
                                         gross_amount=authorized.gross_amount)
    assert verified.valid


def test_finalize_documented_500_is_an_unknown_outcome_not_a_refusal(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    authorized = order(client, token, "2340010000000001")
    with pytest.raises(ProviderOutcomeUnknown) as e:
        client.finalize_transaction(access_token=confirmed(client, vs.PHONE_SITI, authorized),
                                    transaction_id=authorized.transaction_id, installment_id="2", notify_url="")
    assert (e.value.code, e.value.http_status) == ("outcome_unknown_http_500", 500)
    assert "required" in e.value.upstream_message
    verdict = client.verify_transaction(transaction_id=authorized.transaction_id, order_id="B0001",
                                        gross_amount=idr(30100))
    assert verdict.status == "failed"  # resolved: nothing was finalized


def test_verify_transaction(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    authorized = order(client, token, "2340010000000001")
    before = client.verify_transaction(transaction_id=authorized.transaction_id, order_id="B0001",
                                       gross_amount=idr(30100))
    assert (before.raw_status, before.status, before.valid, before.processed_at) == ("Invalid", "failed", False, None)
    client.finalize_transaction(access_token=confirmed(client, vs.PHONE_SITI, authorized),
                                transaction_id=authorized.transaction_id, installment_id="4", notify_url=NOTIFY)
    after = client.verify_transaction(transaction_id=authorized.transaction_id, order_id="B0001",
                                      gross_amount=idr(30100))
    assert (after.raw_status, after.status, after.valid) == ("Valid", "succeeded", True)
    assert after.processed_at.tzinfo is not None
    tampered = client.verify_transaction(transaction_id=authorized.transaction_id, order_id="B0001",
                                         gross_amount=idr(30000))
    assert tampered.status == "failed"


def test_verify_transaction_errors(sandbox):
    client = fast_client(sandbox, "vospay")
    with pytest.raises(ProviderRejected) as e:
        client.verify_transaction(transaction_id="0" * 24, order_id="B0001", gross_amount=idr(1))
    assert_error(e.value, ProviderRejected, "transaction_not_found", 404)
    with pytest.raises(ProviderRejected) as e:
        client.verify_transaction(transaction_id="0" * 24, order_id="", gross_amount=idr(1))
    assert_error(e.value, ProviderRejected, "verify_incomplete", 500)


def test_contracts_paging_uses_feathers_limit_and_skip(sandbox):
    client = fast_client(sandbox, "vospay")
    token = otp_token(client, vs.PHONE_SITI)
    authorized = order(client, token, "2340010000000001")
    client.finalize_transaction(access_token=confirmed(client, vs.PHONE_SITI, authorized),
                                transaction_id=authorized.transaction_id, installment_id="1", notify_url=NOTIFY)
    page = client.contracts(access_token=token, limit=1, skip=1)
    assert page.total == 2
    assert [c.order_id for c in page.contracts] == ["BL001"]


# -- parsing without the network --------------------------------------------------------------
def test_parse_notify_callback_reads_bytes_text_and_dicts():
    body = {"transactionID": "5afc", "orderID": "B0001", "currency": "IDR", "grossAmount": 30100,
            "status": "Approved", "installmentID": "2", "contractNumber": "234202401010000000006",
            "vospayNumber": "2340010000000001", "timestamp": "2024-01-01T00:00:00.000Z"}
    for raw in (body, json.dumps(body), json.dumps(body).encode()):
        notice = parse_notify_callback(raw)
        assert (notice.transaction_id, notice.order_id, notice.gross_amount) == ("5afc", "B0001", idr(30100))
        assert (notice.raw_status, notice.status, notice.installment_id) == ("Approved", "succeeded", "2")
        assert notice.timestamp.year == 2024


@pytest.mark.parametrize("raw", [b"{not json", b"[]", {"orderID": "B1"},
                                 {"transactionID": "t", "orderID": "o", "grossAmount": "lots", "status": "Approved"}])
def test_parse_notify_callback_rejects_bad_bodies(raw):
    with pytest.raises(ProviderInvalidResponse) as e:
        parse_notify_callback(raw)
    assert (e.value.code, e.value.operation) == ("invalid_callback", "notify_callback")


def test_national_phone():
    assert national_phone("+62 811-0000-002") == "08110000002"
    assert national_phone("628110000002") == "08110000002"
    assert national_phone("08118289855") == "08118289855"
