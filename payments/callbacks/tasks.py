"""Callback tasks: thin, by id, idempotent (see ``services`` for why a repeat is safe).

``apply_callback`` (one event) and ``apply_callbacks`` (a list: what the callback URL's
outbox sends, ``providers.callbacks._Outbox``) are registered under the names
``providers.callbacks`` sends; ``payments.apps`` imports this module at start-up so every
worker knows them. An event of a list that must be retried leaves the list: it goes on
as its own ``apply_callback`` at the retry schedule's second step, so one slow provider
answer never holds up the others. The sweep is scheduled every minute from here (``beat_schedule``, which
django-celery-beat's scheduler copies into its editable table)."""

from __future__ import annotations

import logging
from collections import Counter

from celery import current_app, shared_task
from django.db import DatabaseError

from payments.callbacks.services import CallbackNotConfirmedYet, callback_apply, callback_give_up, callbacks_left_behind
from providers.callbacks import APPLY_MANY_TASK, APPLY_TASK

logger = logging.getLogger("payments.callbacks")

MAX_RETRIES = 6
SWEEP_TASK = "payments.callbacks_sweep"


def retry_delay(retries: int) -> int:
    """10 s, 20 s, 40 s... about ten minutes in all before giving up."""
    return 10 * 2**retries


@shared_task(bind=True, name=APPLY_TASK, max_retries=MAX_RETRIES, acks_late=True)
def apply_callback(self, event_id: int) -> str:
    try:
        verdict = callback_apply(event_id=event_id)
    except CallbackNotConfirmedYet as e:
        if self.request.retries >= MAX_RETRIES:
            callback_give_up(event_id=event_id, error=e.message)
            return "failed"
        raise self.retry(countdown=retry_delay(self.request.retries)) from e
    except DatabaseError as e:  # Paydesk's own database, not the provider: try again soon
        raise self.retry(countdown=1 + self.request.retries, max_retries=20) from e
    return "skipped" if verdict is None else verdict.processing


@shared_task(name=APPLY_MANY_TASK, acks_late=True)
def apply_callbacks(event_ids: list[int]) -> dict[str, int]:
    """Apply each event of the list once, one after another. A killed worker's list is
    delivered again (``acks_late``); what it had finished is skipped by the claim."""
    done: Counter = Counter()
    for event_id in event_ids:
        done[_apply_one(event_id)] += 1
    return dict(done)


def _apply_one(event_id: int) -> str:
    try:
        verdict = callback_apply(event_id=event_id)
    except CallbackNotConfirmedYet:  # this list's try was the first: go on as a retry
        apply_callback.apply_async((event_id,), countdown=retry_delay(0), retries=1)
        return "retrying"
    except DatabaseError:
        apply_callback.apply_async((event_id,), countdown=1)
        return "retrying"
    except Exception:  # a bug in one event must not strand the rest of the list
        # Left claimed, as a failed apply_callback leaves it: the sweep takes it again
        # once the claim's lease has run out.
        logger.exception("callback %s could not be applied; the sweep will retry it", event_id)
        return "error"
    return "skipped" if verdict is None else verdict.processing


@shared_task(name=SWEEP_TASK)
def callbacks_sweep() -> int:
    """Queue again what no worker will apply on its own (a lost enqueue, a dead worker)."""
    ids = callbacks_left_behind()
    for pk in ids:
        apply_callback.delay(pk)
    return len(ids)


current_app.conf.beat_schedule = {
    **(current_app.conf.beat_schedule or {}),
    "callbacks: apply what was left behind": {"task": SWEEP_TASK, "schedule": 60.0},
}
