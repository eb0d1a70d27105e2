"""Paydesk's own OTP guard, whatever the provider allows.

The provider texts the code and checks it; Paydesk counts. Rules:

- a code (``OtpChallenge``) takes at most ``MAX_ATTEMPTS`` tries, and is good only for
  the flow that asked for it, the phone it went to and ``CODE_TTL``;
- a phone gets a new code for the same flow at most once per ``RESEND_AFTER``, and
  ``SENDS_PER_HOUR`` codes an hour in all; one client address asks for at most ``SENDS_PER_ADDRESS`` codes and
  makes at most ``TRIES_PER_ADDRESS`` tries an hour (many customers may share an
  address behind a carrier's NAT, so its limits are wider);
- every counter moves only through one conditional UPDATE (``OtpThrottle``,
  ``OtpChallenge.attempts``), so concurrent requests can never share the last slot: the
  database decides, not a read followed by a write. Windows are fixed hours from the
  first use in them.

Password and access-code sign-ins are counted the same way (``sign_in_attempt``):
``SIGN_INS_PER_LOGIN`` an hour per phone or e-mail, ``SIGN_INS_PER_ADDRESS`` per address,
so the pages cannot be used to guess a customer's password.

A refusal raises ``OtpBlocked`` with ``retry_at`` (when trying again can work, or None
when only a new code helps). The checkout reuses ``otp_issue`` / ``otp_attempt`` /
``otp_passed`` with its own flow name.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts.models import Merchant, OtpChallenge, OtpThrottle

MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
SENDS_PER_HOUR = 5
SENDS_PER_ADDRESS = 20
TRIES_PER_ADDRESS = 30
SIGN_INS_PER_LOGIN = 10
SIGN_INS_PER_ADDRESS = 30
WINDOW = timedelta(hours=1)
CODE_TTL = timedelta(minutes=10)
KEEP_CODES = timedelta(days=1)


class OtpBlocked(Exception):
    """``code``: resend_too_soon, too_many_codes, too_many_from_address, too_many_attempts,
    code_expired, code_not_requested."""

    def __init__(self, code: str, message: str, *, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_at = retry_at


def clock_now() -> datetime:
    """The guard's time (tests freeze it here)."""
    return timezone.now()


def _hit(key: str, *, now: datetime, limit: int, cooldown: timedelta | None = None) -> datetime | None:
    """Take one slot of ``key``'s window: None when taken, else when one frees up."""
    stale = Q(window_start__lte=now - WINDOW)
    allowed = stale | Q(count__lt=limit)
    if cooldown is not None:
        allowed &= Q(last_at__isnull=True) | Q(last_at__lte=now - cooldown)
    for _ in range(2):  # twice: the purge may delete a long-idle row between the two statements
        OtpThrottle.objects.bulk_create([OtpThrottle(key=key, window_start=now, count=0)], ignore_conflicts=True)
        taken = OtpThrottle.objects.filter(allowed, key=key).update(
            count=Case(When(stale, then=Value(1)), default=F("count") + 1),
            window_start=Case(When(stale, then=Value(now)), default=F("window_start")),
            last_at=now,
        )
        if taken:
            return None
        row = OtpThrottle.objects.filter(key=key).first()
        if row is not None:
            return _wait(row, now=now, limit=limit, cooldown=cooldown)
    return now


def _wait(row: OtpThrottle, *, now: datetime, limit: int, cooldown: timedelta | None) -> datetime:
    waits = []
    if row.count >= limit and row.window_start > now - WINDOW:
        waits.append(row.window_start + WINDOW)
    if cooldown is not None and row.last_at and row.last_at > now - cooldown:
        waits.append(row.last_at + cooldown)
    return max(waits) if waits else now


def _address(client_ip: str | None) -> str:
    return client_ip or "unknown"


def otp_issue(*, merchant: Merchant, flow: str, phone: str, client_ip: str | None,
              now: datetime | None = None) -> OtpChallenge:
    """Count a code about to be sent to ``phone`` for ``flow``; raise OtpBlocked when a
    limit says no. Call it before asking the provider to send, inside a
    ``transaction.atomic`` that the caller rolls back if the provider sent nothing."""
    now = now or clock_now()
    with transaction.atomic():
        # The hourly cap counts every code to the phone; the resend pause is per flow, so a
        # checkout's transaction code can follow the sign-in code at once.
        retry = _hit(f"send:phone:{merchant.pk}:{phone}", now=now, limit=SENDS_PER_HOUR)
        if retry is None:
            retry = _hit(f"send:flow:{merchant.pk}:{phone}:{flow}", now=now, limit=SENDS_PER_HOUR,
                         cooldown=RESEND_AFTER)
        if retry is not None:
            code, message = _send_refusal(retry, now)
            raise OtpBlocked(code, message, retry_at=retry)
        retry = _hit(f"send:ip:{_address(client_ip)}", now=now, limit=SENDS_PER_ADDRESS)
        if retry is not None:
            # Raising inside the block rolls the phone's slot back too.
            raise OtpBlocked("too_many_from_address",
                             "Too many codes were asked for from this network.", retry_at=retry)
    return OtpChallenge.objects.create(
        merchant=merchant, flow=flow, phone=phone, client_ip=client_ip, issued_at=now,
        expires_at=now + CODE_TTL, max_attempts=MAX_ATTEMPTS,
    )


def _send_refusal(retry: datetime, now: datetime) -> tuple[str, str]:
    if retry - now <= RESEND_AFTER:
        return "resend_too_soon", "A code was sent a moment ago. You can ask for a new one shortly."
    return "too_many_codes", f"This phone number has been sent {SENDS_PER_HOUR} codes in the last hour."


def otp_attempt(*, merchant: Merchant, challenge_id: int | None, flow: str, phone: str,
                client_ip: str | None, now: datetime | None = None) -> OtpChallenge:
    """Count one try of the code ``challenge_id`` before it goes to the provider; raise
    OtpBlocked when the code may not be tried (any more, here, or by this address)."""
    now = now or clock_now()
    mine = OtpChallenge.objects.filter(pk=challenge_id, merchant=merchant, flow=flow, phone=phone)
    counted = mine.filter(passed_at__isnull=True, expires_at__gt=now, attempts__lt=F("max_attempts")).update(
        attempts=F("attempts") + 1)
    if not counted:
        raise _attempt_refusal(mine.first(), now)
    with transaction.atomic():
        retry = _hit(f"try:ip:{_address(client_ip)}", now=now, limit=TRIES_PER_ADDRESS)
        if retry is not None:
            mine.update(attempts=F("attempts") - 1)
            raise OtpBlocked("too_many_from_address", "Too many codes were tried from this network.",
                             retry_at=retry)
    return mine.get()


def _attempt_refusal(challenge: OtpChallenge | None, now: datetime) -> OtpBlocked:
    if challenge is None or challenge.passed_at is not None:
        return OtpBlocked("code_not_requested", "No code is waiting for this step. Ask for a new code.")
    if challenge.expires_at <= now:
        return OtpBlocked("code_expired", "This code has expired. Ask for a new code.")
    return OtpBlocked("too_many_attempts",
                      f"The code was entered wrongly {challenge.max_attempts} times. Ask for a new code.",
                      retry_at=otp_next_send(merchant=challenge.merchant, phone=challenge.phone, now=now))


def otp_passed(*, challenge: OtpChallenge, now: datetime | None = None) -> None:
    """The provider accepted the code: it cannot be tried again."""
    OtpChallenge.objects.filter(pk=challenge.pk, passed_at__isnull=True).update(passed_at=now or clock_now())


def otp_tries_left(challenge: OtpChallenge) -> int:
    return max(challenge.max_attempts - challenge.attempts, 0)


def otp_next_send(*, merchant: Merchant, phone: str, now: datetime | None = None) -> datetime | None:
    """When ``phone`` may be sent a new code (None: now)."""
    now = now or clock_now()
    row = OtpThrottle.objects.filter(key=f"send:phone:{merchant.pk}:{phone}").first()
    if row is None:
        return None
    wait = _wait(row, now=now, limit=SENDS_PER_HOUR, cooldown=RESEND_AFTER)
    return wait if wait > now else None


def otp_records_purge(*, now: datetime | None = None) -> int:
    """Delete what no limit needs any more (codes a day past their expiry, counters idle
    for two windows): they hold phone numbers, which are kept no longer than useful."""
    now = now or clock_now()
    codes, _ = OtpChallenge.objects.filter(expires_at__lt=now - KEEP_CODES).delete()
    counters, _ = OtpThrottle.objects.filter(window_start__lt=now - 2 * WINDOW, last_at__lt=now - 2 * WINDOW).delete()
    return codes + counters


def sign_in_attempt(*, merchant: Merchant, login: str, client_ip: str | None, now: datetime | None = None) -> None:
    """Count one password / access-code try for ``login`` (a phone in E.164 or an e-mail)
    before it goes to the provider; raise OtpBlocked when there were too many this hour."""
    now = now or clock_now()
    with transaction.atomic():
        retry = _hit(f"signin:login:{merchant.pk}:{login.lower()}", now=now, limit=SIGN_INS_PER_LOGIN)
        if retry is None:
            retry = _hit(f"signin:ip:{_address(client_ip)}", now=now, limit=SIGN_INS_PER_ADDRESS)
        if retry is not None:
            raise OtpBlocked("too_many_sign_ins", "There were too many sign-in attempts.", retry_at=retry)
