"""EnayaPay under faults (what is retried, what is sent once) and redaction of secrets."""

from __future__ import annotations

import logging

import pytest

from providers.base.errors import (
    ProviderAuthenticationError,
    ProviderError,
    ProviderInvalidResponse,
    ProviderRejected,
    ProviderUnavailable,
)
from providers.enayapay import sandbox as sb
from tests.conftest import arm_fault
from tests.helpers import requests_to
from tests.providers import enayapay_support as enayapay
from tests.providers.enayapay_support import NEW_PHONE

client, state = enayapay.client, enayapay.state


def inquire(client):
    return client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)


# -- the POSTs: sent exactly once -----------------------------------------------------------

def test_balance_inquiry_timeout_is_not_retried(sandbox, client):
    client.check()  # the API key is proven first, so a failure below is the inquiry's own
    arm_fault(sandbox, "enayapay", "balance_inquiry", "timeout", delay=1.0)
    with pytest.raises(ProviderUnavailable) as exc:
        inquire(client)
    assert exc.value.code == "timeout" and exc.value.http_status is None
    assert requests_to(sandbox, "enayapay", "/balance/inquiry/") == 1


@pytest.mark.parametrize(
    ("fault", "code"),
    [("500", "http_500"), ("502", "card_network_unavailable"), ("503", "service_unavailable")],
)
def test_balance_inquiry_5xx_is_not_retried(sandbox, client, fault, code):
    client.check()
    arm_fault(sandbox, "enayapay", "balance_inquiry", fault)
    with pytest.raises(ProviderUnavailable) as exc:
        inquire(client)
    assert (exc.value.code, exc.value.http_status) == (code, int(fault))
    assert requests_to(sandbox, "enayapay", "/balance/inquiry/") == 1


def test_balance_inquiry_malformed_answer(sandbox, client):
    client.check()
    arm_fault(sandbox, "enayapay", "balance_inquiry", "malformed")
    with pytest.raises(ProviderInvalidResponse) as exc:
        inquire(client)
    assert exc.value.code == "malformed_json"
    assert requests_to(sandbox, "enayapay", "/balance/inquiry/") == 1


def test_register_timeout_says_the_account_may_exist(sandbox, client, state):
    arm_fault(sandbox, "enayapay", "register", "timeout", delay=1.0)
    with pytest.raises(ProviderUnavailable) as exc:
        client.register(phone=NEW_PHONE, name="Hiba Ali", password="Hiba-pass-1")
    assert exc.value.code == "timeout"
    assert "may have been created" in exc.value.message
    assert requests_to(sandbox, "enayapay", "/register/") == 1
    assert NEW_PHONE in state.users  # the sandbox acted; the answer was lost
    with pytest.raises(ProviderRejected) as again:
        client.register(phone=NEW_PHONE, name="Hiba Ali", password="Hiba-pass-1")
    assert again.value.code == "already_registered"


def test_change_password_timeout_says_it_may_have_changed(sandbox, client):
    arm_fault(sandbox, "enayapay", "change_password", "timeout", delay=1.0)
    with pytest.raises(ProviderUnavailable) as exc:
        client.change_password(current_password="Sandbox-Pass-1", new_password="Changed-pass-2",
                               token=sb.TOKEN_ACTIVE_USER)
    assert "may have been changed" in exc.value.message
    assert requests_to(sandbox, "enayapay", "/change/password/") == 1


@pytest.mark.parametrize(
    ("operation", "path", "call"),
    [
        ("verify", "/verify/", lambda c: c.verify(phone=sb.PHONE_ACTIVE, otp=sb.OTP_CODE)),
        ("login", "/login/", lambda c: c.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-1")),
        ("reset_password", "/rest/password/",
         lambda c: c.reset_password(phone=sb.PHONE_ACTIVE, new_password="Fresh-pass-9", token=sb.TOKEN_ACTIVE_USER)),
    ],
)
@pytest.mark.parametrize("fault", ["500", "502", "503"])
def test_other_posts_are_sent_once_on_5xx(sandbox, client, operation, path, call, fault):
    arm_fault(sandbox, "enayapay", operation, fault)
    with pytest.raises(ProviderUnavailable) as exc:
        call(client)
    assert exc.value.http_status == int(fault)
    assert requests_to(sandbox, "enayapay", path) == 1


def test_login_malformed_answer(sandbox, client):
    arm_fault(sandbox, "enayapay", "login", "malformed")
    with pytest.raises(ProviderInvalidResponse):
        client.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-1")
    assert requests_to(sandbox, "enayapay", "/login/") == 1


# -- redaction ------------------------------------------------------------------------------

def test_no_secret_reaches_logs_or_errors(sandbox, client, caplog):
    caplog.set_level(logging.DEBUG)
    raised: list[ProviderError] = []

    def expect_error(call):
        with pytest.raises(ProviderError) as exc:
            call()
        raised.append(exc.value)

    client.check()
    client.register(phone=NEW_PHONE, name="Hiba Ali", password="Hiba-pass-1")
    token = client.verify(phone=NEW_PHONE, otp=sb.OTP_CODE).token
    client.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-1")
    client.change_password(current_password="Sandbox-Pass-1", new_password="Changed-pass-2",
                           token=sb.TOKEN_ACTIVE_USER)
    client.reset_password(phone=NEW_PHONE, new_password="Fresh-pass-9", token=token)
    inquire(client)
    client.balance_inquiry(pan=sb.CARD_19_DIGITS, ipin=sb.IPIN, expiry="3003", token=token)
    expect_error(lambda: client.balance_inquiry(pan=sb.CARD_OK, ipin="111111", expiry="2812", token=token))
    expect_error(lambda: client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_EXPIRED))
    expect_error(lambda: client.verify(phone=sb.PHONE_ACTIVE, otp="000000"))
    expect_error(lambda: client.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-2"))
    expect_error(lambda: client.change_password(current_password="Sandbox-Pass-2", new_password="Other-pass-3",
                                                token=sb.TOKEN_REMOVED_USER))
    arm_fault(sandbox, "enayapay", "balance_inquiry", "timeout", delay=1.0)
    expect_error(lambda: client.balance_inquiry(pan=sb.TRIGGER_CARDS[51], ipin=sb.IPIN, expiry="2812",
                                                token=sb.TOKEN_ACTIVE_USER))

    assert len(raised) == 6
    assert isinstance(raised[1], ProviderAuthenticationError)
    secrets = (*sb.TEST_SECRETS, token, "Hiba-pass-1", "Changed-pass-2", "Fresh-pass-9", "Other-pass-3", "111111")
    texts = [caplog.text, *(str(e) for e in raised), *(repr(e) for e in raised),
             *(str(e.upstream_message) for e in raised)]
    assert caplog.text.count("enayapay balance_inquiry POST") == 5  # the operations were logged
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert "'pan': '[redacted]', 'ipin': '[redacted]'" in caplog.text
