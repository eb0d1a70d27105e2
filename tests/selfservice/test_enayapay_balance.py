"""Card balance inquiry on the customer pages: the balance with the card as first six /
last four, every EBS answer as a plain sentence, field checks before anything is sent,
and no PAN or IPIN anywhere afterwards: database (every table), sessions, logs, page."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connection

from providers.enayapay import sandbox as enaya
from tests.conftest import SUITE_LOG, arm_fault
from tests.helpers import requests_to
from tests.selfservice.conftest import enaya_signed_in, html, me

pytestmark = pytest.mark.django_db


def inquire(client, pan=enaya.CARD_OK, expiry="2812", ipin=enaya.IPIN):
    return client.post(me("enayapay/balance/"), {"pan": pan, "expiry": expiry, "ipin": ipin})


def every_stored_value() -> str:
    """Every row of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names come from the schema
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def session_contents() -> str:
    return "\n".join(repr(s.get_decoded()) for s in Session.objects.all())


def test_balance_shows_the_masked_card_and_leaves_no_pan_or_ipin_anywhere(client, enayapay):
    enaya_signed_in(client)
    log_start = len(SUITE_LOG.lines)
    page = client.get(me("enayapay/balance/"))
    assert page["Cache-Control"].startswith("max-age=0") and "no-store" in page["Cache-Control"]
    response = inquire(client, pan="9999 0100 0000 0011")
    text = html(response)
    assert response.status_code == 200
    assert "999901******0011" in text and "15,250.75" in text and "SDG" in text
    assert "no-store" in response["Cache-Control"]

    logs = "\n".join(line for _, line in SUITE_LOG.lines[log_start:])
    stored, sessions = every_stored_value(), session_contents()
    for secret in (enaya.CARD_OK, "9999 0100 0000 0011", enaya.IPIN):
        assert secret not in text
        assert secret not in stored
        assert secret not in sessions
        assert secret not in logs
    assert "balance_inquiry" in logs  # the call was logged, redacted


def test_a_19_digit_card(client, enayapay):
    enaya_signed_in(client)
    response = inquire(client, pan=enaya.CARD_19_DIGITS, expiry="3003")
    assert "999901*********0036" in html(response) and "250,000.00" in html(response)


@pytest.mark.parametrize(("pan", "sentence"), [
    (enaya.TRIGGER_CARDS[51], "does not have enough funds"),
    (enaya.TRIGGER_CARDS[355], "The IPIN is not correct."),
    (enaya.TRIGGER_CARDS[375], "entered wrongly too many times"),
    (enaya.TRIGGER_CARDS[541], "reported lost"),
    (enaya.TRIGGER_CARDS[543], "reported stolen"),
    (enaya.TRIGGER_CARDS[550], "account is closed"),
    (enaya.TRIGGER_CARDS[536], "restricted"),
    (enaya.TRIGGER_CARDS[412], "invalid transaction"),
    (enaya.CARD_UNISSUED, "The card number is not valid."),
    (enaya.CARD_EXPIRED, "The card has expired."),
])
def test_ebs_answers_become_plain_sentences(client, enayapay, pan, sentence):
    enaya_signed_in(client)
    expiry = "2301" if pan == enaya.CARD_EXPIRED else "2812"
    response = inquire(client, pan=pan, expiry=expiry)
    text = html(response)
    assert response.status_code == 200
    assert sentence in text
    assert pan not in text and enaya.IPIN not in text  # never echoed
    assert f'value="{expiry}"' in text  # the expiry is kept


def test_wrong_ipin_and_wrong_expiry(client, enayapay):
    enaya_signed_in(client)
    assert "The IPIN is not correct." in html(inquire(client, ipin="000000"))
    assert "The expiry date does not match the card." in html(inquire(client, expiry="2901"))


@pytest.mark.parametrize(("pan", "status", "sentence"), [
    (enaya.TRIGGER_CARDS[196], 503, "system error"),
    (enaya.CARD_SWITCH_DOWN, 503, "The card network is not answering right now."),
])
def test_switch_trouble_is_a_retryable_page(client, enayapay, pan, status, sentence):
    enaya_signed_in(client)
    response = inquire(client, pan=pan)
    assert response.status_code == status and sentence in html(response)
    assert "you can try again" in html(response)


def test_fields_are_checked_before_anything_is_sent(client, enayapay, sandbox):
    enaya_signed_in(client)
    response = inquire(client, pan="1234", expiry="2813", ipin="12")
    text = html(response)
    assert response.status_code == 400
    assert "A card number has 12 to 19 digits." in text
    assert "Enter the expiry as YYMM" in text
    assert "The IPIN is 4 to 12 digits." in text
    assert "not valid: check the digits" in html(inquire(client, pan="9999010000000012"))  # Luhn
    assert requests_to(sandbox, "enayapay", "/balance/inquiry/") == 0
    response = inquire(client, expiry="12/28")  # MM/YY as printed on the card is read as YYMM
    assert "15,250.75" in html(response)


def test_a_connection_without_the_ipin_key_offers_no_balance_check(client, enayapay):
    credentials = enayapay.credentials
    credentials.pop("ipin_public_key")
    enayapay.credentials = credentials
    enayapay.save()
    enaya_signed_in(client)
    assert "Check a card balance" not in html(client.get(me("enayapay/")))
    response = client.get(me("enayapay/balance/"))
    assert response.status_code == 503 and "has not set up card balance checks" in html(response)


def test_timeout_on_the_inquiry_is_not_resent(client, enayapay, sandbox):
    enaya_signed_in(client)
    arm_fault(sandbox, "enayapay", "balance_inquiry", "timeout", delay=2.5)
    response = inquire(client)
    assert response.status_code == 503
    assert requests_to(sandbox, "enayapay", "/balance/inquiry/") == 1
    assert enaya.CARD_OK not in html(response)


def test_balance_needs_a_signed_in_customer(client, enayapay, sandbox):
    response = inquire(client)
    assert response.status_code == 302
    assert response["Location"] == me("enayapay/login/") + "?next=/me/demo/enayapay/balance/"
    assert requests_to(sandbox, "enayapay", "/balance/inquiry/") == 0
