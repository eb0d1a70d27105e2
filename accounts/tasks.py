"""Celery tasks of the accounts side: thin and safe to run twice."""

from __future__ import annotations

from celery import shared_task

from accounts.selfservice.otp_guard import otp_records_purge


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=50, time_limit=60)
def otp_records_purge_task() -> int:
    """Scheduled hourly (django-celery-beat, seeded by accounts 0004): drop the OTP
    guard's records no limit needs any more."""
    return otp_records_purge()
