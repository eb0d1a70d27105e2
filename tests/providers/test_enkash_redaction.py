"""No EnKash secret (keys, tokens, card numbers, CVV, card expiry) in logs or error text."""

from __future__ import annotations

import logging

import pytest

from providers.base.errors import ProviderError
from providers.enkash.client import CardDetail
from providers.enkash.sandbox import TEST_SECRETS
from providers.enkash.sandbox_data import CARDS, DEMO_MERCHANT, INACTIVE_MERCHANT
from tests.conftest import arm_fault
from tests.helpers import fast_client
from tests.providers import enkash_support as enkash
from tests.providers.enkash_support import NOWHERE

sb = enkash.sb


def assert_clean(text: str, extra: tuple[str, ...] = ()) -> None:
    for secret in (*TEST_SECRETS, *extra):
        assert secret not in text, f"{secret[:6]}… leaked"


def test_test_secrets_list_keys_and_cards():
    assert DEMO_MERCHANT.secret_key in TEST_SECRETS and INACTIVE_MERCHANT.access_key in TEST_SECRETS
    assert set(CARDS) <= set(TEST_SECRETS)


def test_no_secret_in_logs_or_errors(sandbox, sb, caplog):
    caplog.set_level(logging.DEBUG)
    client = fast_client(sandbox, "enkash")
    errors: list[ProviderError] = []
    for i, (number, cvv, expiry) in enumerate([(pan, "737", "11/38") for pan in CARDS]):
        client.create_order(order_id=f"ORD{i}", amount="100.00", return_url="https://r.example",
                            notify_url=NOWHERE)
        try:
            payment = client.submit_payment_detail(
                order_id=f"ORD{i}", amount="100.00", payment_mode="CREDIT_CARD",
                card=CardDetail("Asha Secret-Holder", number, cvv, expiry))
            if payment.status == "succeeded":
                client.refund(transaction_id=payment.transaction_id, amount="1.00", request_id=f"rf{i}")
        except ProviderError as e:
            errors.append(e)
    for mode, number in (("CORPORATE_CARD", "5200000000000007"), ("CREDIT_CARD", "4100000000000002")):
        with pytest.raises(ProviderError) as caught:  # disabled mode (422), number failing Luhn (400)
            client.submit_payment_detail(order_id="ORD0", amount="100.00", payment_mode=mode,
                                         card=CardDetail("Asha Secret-Holder", number, "737", "11/38"))
        errors.append(caught.value)
    client.create_order(order_id="ORDNB", amount="100.00", return_url="https://r.example", notify_url=NOWHERE)
    client.submit_payment_detail(order_id="ORDNB", amount="100.00", payment_mode="NET_BANKING", bank_code="HDFC",
                                 account_number="50100098765432", ifsc="HDFC0001234")
    arm_fault(sandbox, "enkash", "submit_payment_detail", "timeout", delay=1.0)
    client.create_order(order_id="ORDT", amount="100.00", return_url="https://r.example", notify_url=NOWHERE)
    with pytest.raises(ProviderError) as caught:
        client.submit_payment_detail(order_id="ORDT", amount="100.00", payment_mode="CREDIT_CARD",
                                     card=CardDetail("Asha Rao", "4100000000000001", "737", "11/38"))
    errors.append(caught.value)
    for key, secret in ((DEMO_MERCHANT.access_key, "enk_test_sk_wrong_0000000000"),
                        (INACTIVE_MERCHANT.access_key, INACTIVE_MERCHANT.secret_key)):
        with pytest.raises(ProviderError) as caught:
            fast_client(sandbox, "enkash", access_key=key, secret_key=secret).check()
        errors.append(caught.value)

    tokens = tuple(sb.tokens)
    assert len(tokens) >= 1
    assert "enkash submit_payment_detail" in caplog.text  # the calls were logged
    assert "'cardDetail': '[redacted]'" in caplog.text
    assert_clean(caplog.text, (*tokens, "4100000000000002", "50100098765432", "Secret-Holder", "'737'", "11/38"))
    for error in errors:
        assert_clean(f"{error} {error.upstream_message} {error.as_dict()}", (*tokens, "4100000000000002"))
    assert [e.code for e in errors] == [
        "payment_mode_disabled", "invalid_request", "outcome_unknown_timeout", "invalid_credentials",
        "merchant_inactive"]


def test_card_detail_repr_is_masked():
    card = CardDetail("Asha Rao", "4100000000000001", "737", "11/38")
    text = repr(card)
    assert "4100000000000001" not in text and "737" not in text and "410000******0001" in text
