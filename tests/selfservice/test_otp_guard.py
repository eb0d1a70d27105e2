"""Paydesk's own OTP guard: at most 5 tries per code, codes tied to their flow and phone,
a resend only after 60 s and at most 5 an hour per phone, per-address limits, told when
to retry; with frozen time, through the pages, and under concurrent requests (the
concurrency tests need PostgreSQL: DATABASE_URL=postgres://...)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from accounts.models import OtpChallenge, OtpThrottle
from accounts.selfservice import otp_guard as guard
from accounts.selfservice.otp_guard import OtpBlocked, otp_attempt, otp_issue, otp_passed
from tests.helpers import requests_to
from tests.selfservice.conftest import ENAYA_OTP, enaya_register, html, me

PHONE = "+249912345678"


def issue(merchant, clock, *, phone=PHONE, flow="enayapay_register", ip="10.0.0.1"):
    return otp_issue(merchant=merchant, flow=flow, phone=phone, client_ip=ip, now=clock())


def attempt(merchant, clock, challenge, *, flow="enayapay_register", phone=PHONE, ip="10.0.0.1"):
    return otp_attempt(merchant=merchant, challenge_id=challenge.pk, flow=flow, phone=phone, client_ip=ip,
                       now=clock())


@pytest.mark.django_db
def test_five_tries_per_code_then_a_new_code_is_needed(merchant, clock):
    challenge = issue(merchant, clock)
    for n in range(1, 6):
        assert attempt(merchant, clock, challenge).attempts == n
    with pytest.raises(OtpBlocked) as blocked:
        attempt(merchant, clock, challenge)
    assert blocked.value.code == "too_many_attempts"
    assert blocked.value.retry_at == clock() + timedelta(seconds=60)  # when a new code may be sent
    clock.advance(60)
    fresh = issue(merchant, clock)
    assert attempt(merchant, clock, fresh).attempts == 1


@pytest.mark.django_db
def test_a_code_is_good_only_for_its_flow_phone_merchant_and_time(merchant, other_merchant, clock):
    challenge = issue(merchant, clock)
    for kwargs in ({"flow": "enayapay_forgot"}, {"phone": "+249912345679"}):
        with pytest.raises(OtpBlocked) as blocked:
            attempt(merchant, clock, challenge, **kwargs)
        assert blocked.value.code == "code_not_requested"
    with pytest.raises(OtpBlocked):
        attempt(other_merchant, clock, challenge)
    assert OtpChallenge.objects.get().attempts == 0  # refusals spend no try
    clock.advance(guard.CODE_TTL.total_seconds())
    with pytest.raises(OtpBlocked) as blocked:
        attempt(merchant, clock, challenge)
    assert blocked.value.code == "code_expired"


@pytest.mark.django_db
def test_a_passed_code_cannot_be_used_again(merchant, clock):
    challenge = issue(merchant, clock)
    otp_passed(challenge=attempt(merchant, clock, challenge), now=clock())
    with pytest.raises(OtpBlocked) as blocked:
        attempt(merchant, clock, challenge)
    assert blocked.value.code == "code_not_requested"


@pytest.mark.django_db
def test_resend_after_60_seconds_and_five_an_hour(merchant, clock):
    start = clock()
    issue(merchant, clock)
    clock.advance(30)
    with pytest.raises(OtpBlocked) as blocked:
        issue(merchant, clock)
    assert blocked.value.code == "resend_too_soon" and blocked.value.retry_at == start + timedelta(seconds=60)
    for _ in range(4):
        clock.advance(61)
        issue(merchant, clock)
    assert OtpChallenge.objects.count() == 5
    clock.advance(61)
    with pytest.raises(OtpBlocked) as blocked:
        issue(merchant, clock)
    assert blocked.value.code == "too_many_codes" and blocked.value.retry_at == start + timedelta(hours=1)
    issue(merchant, clock, phone="+249912345670")  # another phone is not held back
    clock.now = start + timedelta(hours=1)
    issue(merchant, clock)  # a new hour
    assert OtpChallenge.objects.filter(phone=PHONE).count() == 6


@pytest.mark.django_db
def test_limits_per_client_address(merchant, clock):
    for n in range(guard.SENDS_PER_ADDRESS):
        issue(merchant, clock, phone=f"+2499123450{n:02d}")
    with pytest.raises(OtpBlocked) as blocked:
        issue(merchant, clock, phone="+249912349999")
    assert blocked.value.code == "too_many_from_address"
    assert not OtpThrottle.objects.filter(key__endswith="+249912349999", count__gt=0).exists()  # not spent
    issue(merchant, clock, phone="+249912349999", ip="10.0.0.2")  # another address may

    challenges = [issue(merchant, clock, phone=f"+2499123460{n:02d}", ip=f"10.1.0.{n}") for n in range(7)]
    tries = 0
    with pytest.raises(OtpBlocked) as blocked:
        for challenge in challenges:
            for _ in range(5):
                attempt(merchant, clock, challenge, phone=challenge.phone, ip="10.9.9.9")
                tries += 1
    assert tries == guard.TRIES_PER_ADDRESS and blocked.value.code == "too_many_from_address"


# -- through the pages, with frozen time ---------------------------------------------------
@pytest.mark.django_db
def test_the_verify_page_stops_after_five_wrong_codes(client, enayapay, sandbox, clock):
    enaya_register(client)
    for left in (4, 3, 2, 1):
        assert f"{left} {'try' if left == 1 else 'tries'} left." in html(client.post(me("enayapay/verify/"),
                                                                                    {"code": "000000"}))
    assert "Ask for a new code." in html(client.post(me("enayapay/verify/"), {"code": "000000"}))
    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP})  # even the right one, now
    assert response.status_code == 429
    assert "The code was entered wrongly 5 times." in html(response)
    assert requests_to(sandbox, "enayapay", "/verify/") == 5  # the sixth never reached EnayaPay

    clock.advance(61)
    assert client.post(me("enayapay/verify/resend/")).status_code == 302
    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP})
    assert response["Location"] == me("enayapay/")


@pytest.mark.django_db
def test_a_blocked_customer_is_told_when_to_retry(client, enayapay, sandbox, clock):
    enaya_register(client)
    clock.advance(20)
    response = client.post(me("enayapay/verify/resend/"))
    text = html(response)
    assert response.status_code == 429
    assert "A code was sent a moment ago." in text and "Try again in 40 seconds." in text
    assert sandbox.sandbox("enayapay").otps_sent == ["249912345678"]  # nothing more was texted
    for _ in range(4):
        clock.advance(61)
        assert client.post(me("enayapay/verify/resend/")).status_code == 302
    clock.advance(61)
    response = client.post(me("enayapay/verify/resend/"))
    assert "has been sent 5 codes in the last hour" in html(response)
    assert "Try again in 55 minutes." in html(response)  # an hour after the first code, 325 s ago
    assert len(sandbox.sandbox("enayapay").otps_sent) == 5


# -- concurrency (PostgreSQL) --------------------------------------------------------------
def _together(n: int, work) -> list:
    barrier, results = threading.Barrier(n), []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except OtpBlocked as e:
            results.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                    reason="concurrency needs PostgreSQL (set DATABASE_URL)")


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tries_never_exceed_five(merchant, clock):
    challenge = issue(merchant, clock)
    results = _together(12, lambda: attempt(merchant, clock, challenge))
    assert sum(isinstance(r, OtpChallenge) for r in results) == 5
    assert sum(isinstance(r, OtpBlocked) for r in results) == 7
    assert OtpChallenge.objects.get().attempts == 5


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_to_one_phone_send_once(merchant, clock):
    results = _together(8, lambda: issue(merchant, clock, ip=None))
    assert sum(isinstance(r, OtpChallenge) for r in results) == 1
    assert all(r.code == "resend_too_soon" for r in results if isinstance(r, OtpBlocked))
    assert OtpThrottle.objects.get(key__startswith="send:phone:").count == 1


@pytest.mark.django_db
def test_old_records_are_purged_and_the_purge_is_scheduled(merchant, clock):
    from django_celery_beat.models import PeriodicTask

    from accounts.tasks import otp_records_purge_task

    old = issue(merchant, clock)
    clock.advance(3 * 3600)
    fresh = issue(merchant, clock, phone="+249912345670")
    assert guard.otp_records_purge(now=clock()) == 2  # the old phone's counters (all codes, its flow's resend pause); its code is kept a day
    assert OtpThrottle.objects.filter(key__endswith="+249912345670").exists()
    clock.advance(25 * 3600)
    issue(merchant, clock, phone="+249912345671")
    assert guard.otp_records_purge(now=clock()) >= 2
    assert not OtpChallenge.objects.filter(pk__in=[old.pk, fresh.pk]).exists()
    assert OtpChallenge.objects.count() == 1
    assert otp_records_purge_task.run() == 0  # real time: nothing more is old
    assert PeriodicTask.objects.get(task="accounts.tasks.otp_records_purge_task").enabled
