"""The status table and the one function that applies it: checked row by row, and over
random sequences of requested changes (hypothesis)."""

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments.models import Kind, Status, Transaction, TransactionEvent
from payments.transitions import (
    ALLOWED,
    FINAL,
    TransitionRequest,
    may_follow,
    transaction_record_created,
    transition_apply,
    transition_apply_many,
)
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db
STATUSES = list(Status.values)


def new_transaction(status=Status.PENDING):
    connection = ConnectionFactory()
    tx = Transaction.objects.create(
        merchant=connection.merchant, connection=connection, provider="enigmapay", kind=Kind.PAYOUT,
        amount=Decimal("10.00"), currency="TRY", status=status,
    )
    transaction_record_created(transaction=tx, source="system")
    return tx


def test_final_statuses_allow_nothing_but_a_refund_of_a_success():
    assert {s for s in FINAL if ALLOWED[s]} == {Status.SUCCEEDED}
    assert ALLOWED[Status.SUCCEEDED] == {Status.REFUNDED}


@pytest.mark.parametrize("new", [Status.PENDING, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED])
def test_unknown_resolves_only_from_the_providers_answer(new):
    assert not may_follow(Status.UNKNOWN, new, from_provider=False)
    assert may_follow(Status.UNKNOWN, new, from_provider=True)


def test_a_change_writes_one_event_with_from_and_to():
    tx = new_transaction()
    result = transition_apply(transaction=tx, to_status=Status.SUCCEEDED, source="sync", raw_status="Completed",
                              from_provider=True, note="EnigmaPay says Completed")
    assert result.changed and tx.status == Status.SUCCEEDED and tx.raw_status == "Completed"
    event = tx.events.last()
    assert (event.from_status, event.to_status, event.raw_status, event.source) == (
        Status.PENDING, Status.SUCCEEDED, "Completed", "sync")
    assert Transaction.objects.get(pk=tx.pk).status == Status.SUCCEEDED


def test_a_refused_change_leaves_row_and_fields_untouched():
    tx = new_transaction(Status.FAILED)
    result = transition_apply(transaction=tx, to_status=Status.SUCCEEDED, source="callback", from_provider=True,
                              fields={"external_id": "999"})
    assert not result.changed and "failed" in result.refused
    stored = Transaction.objects.get(pk=tx.pk)
    assert (stored.status, stored.external_id) == (Status.FAILED, "")
    assert tx.events.count() == 1


def test_the_same_status_writes_no_event_but_keeps_the_newer_raw_status():
    tx = new_transaction()
    result = transition_apply(transaction=tx, to_status=Status.PENDING, source="sync", raw_status="Processing")
    assert not result.changed and not result.refused
    assert Transaction.objects.get(pk=tx.pk).raw_status == "Processing"
    assert tx.events.count() == 1


def test_an_unknown_status_name_is_a_programming_error():
    with pytest.raises(ValueError):
        transition_apply(transaction=new_transaction(), to_status="paid", source="sync")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(STATUSES), st.booleans()), max_size=12))
def test_random_sequences_follow_the_table(steps):
    tx = new_transaction()
    history = [Status.PENDING]
    for to_status, from_provider in steps:
        before = history[-1]
        result = transition_apply(transaction=tx, to_status=to_status, source="sync", from_provider=from_provider)
        allowed = to_status != before and may_follow(before, to_status, from_provider=from_provider)
        assert result.changed == allowed
        if allowed:
            history.append(to_status)
        # A final status never moves back (a refund is the one move out of succeeded).
        if before in FINAL:
            assert tx.status == before or (before == Status.SUCCEEDED and tx.status == Status.REFUNDED)
        assert Transaction.objects.get(pk=tx.pk).status == history[-1]
    events = list(TransactionEvent.objects.filter(transaction=tx).order_by("id"))
    # The timeline is the history: one creation event, then one event per change, chained.
    assert [e.to_status for e in events] == history
    assert all(a.to_status == b.from_status for a, b in itertools.pairwise(events))



# -- the batch form: the same rules, many rows in one database transaction -----------------
def test_many_applies_the_same_table_as_one_by_one_for_every_pair():
    """Every (from, to, from_provider) pair: transition_apply_many agrees with
    transition_apply on the outcome, the stored row, the fields and the events."""
    pairs = [(a, b, p) for a in STATUSES for b in STATUSES for p in (False, True)]
    singles, batch = [], []
    for current, _, _ in pairs:
        singles.append(new_transaction(current))
        batch.append(new_transaction(current))
    one_by_one = [
        transition_apply(transaction=tx, to_status=to, source="sync", raw_status="R", from_provider=p,
                         fields={"external_id": "x1"}, note="n")
        for tx, (_, to, p) in zip(singles, pairs, strict=True)
    ]
    many = transition_apply_many([
        TransitionRequest(transaction=tx, to_status=to, source="sync", raw_status="R", from_provider=p,
                          fields={"external_id": "x1"}, note="n")
        for tx, (_, to, p) in zip(batch, pairs, strict=True)
    ])
    for single, multi, a, b, (current, to, p) in zip(one_by_one, many, singles, batch, pairs, strict=True):
        assert (multi.changed, multi.refused) == (single.changed, single.refused), (current, to, p)
        sa, sb = Transaction.objects.get(pk=a.pk), Transaction.objects.get(pk=b.pk)
        assert (sb.status, sb.raw_status, sb.external_id) == (sa.status, sa.raw_status, sa.external_id)
        assert (b.status, b.external_id) == (sb.status, sb.external_id)  # the caller's instance too
        ea = [(e.from_status, e.to_status, e.raw_status, e.note) for e in a.events.order_by("id")]
        eb = [(e.from_status, e.to_status, e.raw_status, e.note) for e in b.events.order_by("id")]
        assert ea == eb


def test_many_refuses_what_one_refuses_unknown_only_from_the_provider_and_final_stays():
    unknown, failed, succeeded = new_transaction(Status.UNKNOWN), new_transaction(Status.FAILED), \
        new_transaction(Status.SUCCEEDED)
    results = transition_apply_many([
        TransitionRequest(transaction=unknown, to_status=Status.FAILED, source="dashboard", actor="owner"),
        TransitionRequest(transaction=failed, to_status=Status.SUCCEEDED, source="sync", from_provider=True,
                          fields={"external_id": "999"}),
        TransitionRequest(transaction=succeeded, to_status=Status.PENDING, source="sync", from_provider=True),
    ])
    assert [r.changed for r in results] == [False, False, False]
    assert "provider" in results[0].refused and "failed" in results[1].refused
    assert [Transaction.objects.get(pk=t.pk).status for t in (unknown, failed, succeeded)] == [
        Status.UNKNOWN, Status.FAILED, Status.SUCCEEDED]
    assert Transaction.objects.get(pk=failed.pk).external_id == ""  # fields not saved on a refusal
    assert TransactionEvent.objects.filter(transaction__in=[unknown, failed, succeeded]).count() == 3  # creations


def test_many_with_two_requests_for_one_row_applies_them_in_turn():
    tx = new_transaction()
    other = Transaction.objects.get(pk=tx.pk)
    results = transition_apply_many([
        TransitionRequest(transaction=tx, to_status=Status.SUCCEEDED, source="sync", from_provider=True),
        TransitionRequest(transaction=other, to_status=Status.PENDING, source="sync", from_provider=True),
        TransitionRequest(transaction=other, to_status=Status.REFUNDED, source="sync", from_provider=True),
    ])
    assert [r.changed for r in results] == [True, False, True]
    assert "succeeded" in results[1].refused
    assert [e.to_status for e in tx.events.order_by("id")] == [Status.PENDING, Status.SUCCEEDED, Status.REFUNDED]
    assert Transaction.objects.get(pk=tx.pk).status == Status.REFUNDED == tx.status == other.status


def test_many_with_a_bad_status_name_writes_nothing():
    tx = new_transaction()
    with pytest.raises(ValueError):
        transition_apply_many([
            TransitionRequest(transaction=tx, to_status=Status.SUCCEEDED, source="sync", from_provider=True),
            TransitionRequest(transaction=tx, to_status="paid", source="sync"),
        ])
    assert Transaction.objects.get(pk=tx.pk).status == Status.PENDING and tx.events.count() == 1


def test_many_of_nothing_is_nothing():
    assert transition_apply_many([]) == []


def test_many_releases_this_sync_lease_with_the_answer_and_only_this_one():
    from datetime import timedelta

    from django.utils import timezone

    mine, theirs = timezone.now() + timedelta(minutes=6), timezone.now() + timedelta(minutes=9)
    changed, refused, taken = new_transaction(Status.PENDING), new_transaction(Status.FAILED), \
        new_transaction(Status.PENDING)
    Transaction.objects.filter(pk__in=[changed.pk, refused.pk]).update(sync_lease_until=mine)
    Transaction.objects.filter(pk=taken.pk).update(sync_lease_until=theirs)  # another claim since
    results = transition_apply_many([
        TransitionRequest(transaction=tx, to_status=Status.SUCCEEDED, source="sync", from_provider=True)
        for tx in (changed, refused, taken)
    ], release_lease=mine)
    assert [r.changed for r in results] == [True, False, True]
    leases = dict(Transaction.objects.values_list("pk", "sync_lease_until"))
    # Refused or not, an answered row is released; a row another batch holds keeps its lease.
    assert (leases[changed.pk], leases[refused.pk], leases[taken.pk]) == (None, None, theirs)
    assert changed.sync_lease_until is None  # the caller's instance too
