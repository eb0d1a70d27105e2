"""No EnigmaPay secret (API key, secret key, or the X-Hash derived from them) reaches a
log line or an error text, whatever the call and however it fails."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from providers.base.client import RetryPolicy
from providers.base.errors import ProviderError
from providers.enigmapay.client import EnigmaPayClient
from providers.enigmapay.sandbox import (
    CARD_OFF_API_KEY,
    CARD_OFF_SECRET_KEY,
    CUSTOMER_IBAN_OK,
    TEST_SECRET_KEY,
    TEST_SECRETS,
)
from tests.conftest import arm_fault
from tests.helpers import FAST_TIMEOUTS, fast_client
from tests.providers.enigmapay_support import CannedSession

# Two attempts, so a 503 armed twice is the error a read ends with.
RETRY_TWICE = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)


def every_operation(client) -> list[ProviderError]:
    calls = [
        lambda: client.check(),
        lambda: client.ibans(),
        lambda: client.iban_transactions(iban_id=1),
        lambda: client.send_money(username="u", amount=Decimal("10.00"), customer_iban=CUSTOMER_IBAN_OK,
                                  customer_name="J", description="d"),
        lambda: client.transaction_status(transaction_id=1005),
        lambda: client.credit_card_payment(username="u", firstname="A", lastname="B", email="a@example.com",
                                           phone="05551112233", amount=Decimal("250.00")),
    ]
    raised = []
    for call in calls:
        try:
            call()
        except ProviderError as e:
            raised.append(e)
    return raised


def assert_clean(text: str) -> None:
    for secret in TEST_SECRETS:
        assert secret not in text, f"a test secret ending …{secret[-3:]} leaked"


def test_successful_calls_log_no_secret(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    client = fast_client(sandbox, "enigmapay", retry=RETRY_TWICE)

    assert every_operation(client) == []

    assert caplog.text.count("enigmapay") >= 6
    assert_clean(caplog.text)


def test_failed_calls_log_and_raise_no_secret(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    # The key of one dealer with the secret of the other: every call is a 401.
    client = fast_client(sandbox, "enigmapay", api_key=CARD_OFF_API_KEY, secret_key=TEST_SECRET_KEY, retry=RETRY_TWICE)

    raised = every_operation(client)

    assert len(raised) == 6 and {e.http_status for e in raised} == {401}
    assert_clean(caplog.text)
    for error in raised:
        assert_clean(f"{error} {error.message} {error.upstream_message} {error.as_dict()}")


def test_timeouts_and_faults_log_no_secret(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    client = fast_client(sandbox, "enigmapay", retry=RETRY_TWICE)
    arm_fault(sandbox, "enigmapay", "send_money", "timeout", delay=1.0)
    arm_fault(sandbox, "enigmapay", "ibans", "malformed")
    arm_fault(sandbox, "enigmapay", "settings", "503", count=2)

    raised = every_operation(client)

    assert {e.code for e in raised} == {"outcome_unknown_timeout", "malformed_json", "http_503"}
    assert "failed: ReadTimeout" in caplog.text
    assert_clean(caplog.text)
    for error in raised:
        assert_clean(str(error))


@pytest.mark.parametrize("status", [401, 422])
def test_an_upstream_message_echoing_a_secret_is_scrubbed(caplog, status):
    caplog.set_level(logging.DEBUG)
    echoed = f"Key {CARD_OFF_API_KEY} with secret {CARD_OFF_SECRET_KEY} is not valid"
    session = CannedSession(status, {"success": False, "message": echoed})
    client = EnigmaPayClient(base_url="http://enigmapay.invalid/api/dealer", api_key=CARD_OFF_API_KEY,
                             secret_key=CARD_OFF_SECRET_KEY, session=session, timeouts=FAST_TIMEOUTS, retry=RETRY_TWICE)

    with pytest.raises(ProviderError) as caught:
        client.ibans()

    error = caught.value
    assert error.http_status == status
    assert "[redacted]" in (error.upstream_message or "")
    assert_clean(f"{error} {error.message} {error.upstream_message} {caplog.text}")
