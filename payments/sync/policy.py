"""The sync's numbers, in one place. Each can be set in Django settings (same name,
``SYNC_`` prefix) for a deployment or a test."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from payments.models import Status


def _setting(name: str, default):
    return getattr(settings, f"SYNC_{name}", default)


def attention_after(status: str) -> timedelta | None:
    """How long a transaction may stay unresolved before a person is asked to look.
    An unknown payout may have moved money: a day. A pending one is usual for longer
    (a card link waits for its customer): three days."""
    bounds = _setting("ATTENTION_AFTER", {Status.UNKNOWN: timedelta(hours=24), Status.PENDING: timedelta(hours=72)})
    return bounds.get(status)


def lease() -> timedelta:
    """How long a claim holds a row. Longer than a batch task's hard time limit, so a
    row is never claimed twice while a live worker still has it."""
    return timedelta(seconds=_setting("LEASE_SECONDS", 360))


def batch_size() -> int:
    """Transactions per batch task (one connection each)."""
    return _setting("BATCH_SIZE", 200)


def claim_limit() -> int:
    """Transactions one scheduler run claims at most; the rest wait for the next run."""
    return _setting("CLAIM_LIMIT", 20_000)


def threads_per_batch() -> int:
    """Status calls in flight per batch. Below the pooled session's size (10 in
    ``providers.base.client.build_session``), so every call reuses a kept connection."""
    return _setting("THREADS_PER_BATCH", 8)


def connection_backoff(failures: int) -> timedelta:
    """A failing connection waits 30 s, 1, 2, 4... minutes, capped at 30 minutes."""
    return timedelta(seconds=min(1800, 30 * 2 ** max(0, min(failures - 1, 6))))


# Celery time limits for the sync tasks (seconds): soft raises inside the task, hard kills it.
BATCH_SOFT_TIME_LIMIT = 240
BATCH_TIME_LIMIT = 300
