"""Which function asks which provider about which kind of transaction.

A syncer takes a transaction, makes the provider's status call (never a call that moves
money) and applies the answer through ``payments.transitions`` with
``from_provider=True``; it sets the transaction's next ``next_sync_at`` (None once final)
and raises ``ProviderError`` when the provider could not be asked. Later providers add
theirs with the same decorator:

    @syncer("enkash", Kind.PAYOUT)
    def enkash_payout(transaction): ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from payments.models import Transaction
from payments.transitions import TransitionRequest


@dataclass(frozen=True)
class SyncOutcome:
    status: str  # the transaction's status after the call
    changed: bool  # whether the call changed it
    note: str = ""  # why it is still open, when it is ("not found yet")


Syncer = Callable[[Transaction], SyncOutcome]
SYNCERS: dict[tuple[str, str], Syncer] = {}
# The optional batch form of a syncer: it makes the same status call but returns the
# change the answer asks for, unapplied, so that a sync batch applies a group of them in
# one database transaction (``transitions.transition_apply_many``). It returns a
# SyncOutcome instead when it recorded the answer itself (not found yet...). A kind
# without one is synced row by row by its syncer.
Asker = Callable[[Transaction], "TransitionRequest | SyncOutcome"]
ASKERS: dict[tuple[str, str], Asker] = {}


def syncer(provider: str, kind: str) -> Callable[[Syncer], Syncer]:
    def register(fn: Syncer) -> Syncer:
        key = (provider, str(kind))
        if key in SYNCERS:
            raise RuntimeError(f"two syncers for {key}")
        SYNCERS[key] = fn
        return fn

    return register


def asker(provider: str, kind: str) -> Callable[[Asker], Asker]:
    def register(fn: Asker) -> Asker:
        key = (provider, str(kind))
        if key in ASKERS:
            raise RuntimeError(f"two askers for {key}")
        ASKERS[key] = fn
        return fn

    return register


def asker_for(transaction: Transaction) -> Asker | None:
    _load()
    return ASKERS.get((transaction.provider, transaction.kind))


def syncer_for(transaction: Transaction) -> Syncer | None:
    _load()
    return SYNCERS.get((transaction.provider, transaction.kind))


def syncable_kinds() -> set[tuple[str, str]]:
    _load()
    return set(SYNCERS)


def _load() -> None:
    # The provider modules register on import; imported here, not at the top, because
    # they import the services, which import models this module is imported next to.
    from payments.sync import enigmapay, enkash, enkash_settlements, eoneopay, vospay  # noqa: F401
