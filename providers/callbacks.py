"""Receiving provider callbacks (EnigmaPay status, Vospay notify, EnKash notify).

Policy: store first, answer at once, never trust. A callback is looked up by the
connection's unguessable token (an unknown token is a 404 and stores nothing), saved
with its headers and body, and answered the way its provider wants (EnigmaPay: HTTP 200
with ``{"success": true}``). The same body again is a replay: it is counted on the
stored event, not stored twice. Applying a callback (after confirming the status with
the provider) is a task's job, never the request's.

Whatever arrives is stored: a masked text for people and, where masking changed
anything, the exact bytes encrypted (see ``WebhookEvent``). Nothing in a body (a NUL
byte, invalid UTF-8, a form, no content type at all) can make the store fail, because
nothing is parsed before it is stored.

The store is one statement, ``INSERT ... ON CONFLICT (connection, body_sha256) DO
UPDATE`` counting the replay, run in autocommit (the view opts out of
``ATOMIC_REQUESTS``): it is the hot path, and one statement is atomic on its own. It is
written for PostgreSQL and SQLite, the two databases Paydesk runs on.

Applying is ``payments``' job, and ``providers`` must not import ``payments``
(DESIGN.md). So the hand-over is a Celery task *name*: ``payments.callbacks.tasks``
registers tasks under ``APPLY_TASK`` (one event) and ``APPLY_MANY_TASK`` (a list). No
import, no signal, no registry to fill at start-up: the broker is the seam. A broker that
is down does not lose the callback (the event is already stored, pending); the sweep
(``payments.callbacks.tasks.callbacks_sweep``) enqueues what was left behind.

The callback URL does not publish a message per delivery: publishing cost more than the
store itself (about 1.3 ms of CPU each, measured; bench/README.md). It hands the new
event's id to this process's ``_Outbox``, whose thread sends every id gathered in the
last ``CALLBACK_HAND_OVER_SECONDS`` (a quarter of a second) as one ``APPLY_MANY_TASK`` message. The
answer to the provider never waits for the broker. What a process holds when it dies
unannounced (at most that interval's ids) is still stored and pending: a replay of the
same body hands it over again, and the sweep takes it after ``claim_lease()``.
"""

from __future__ import annotations

import atexit
import copy
import functools
import hashlib
import logging
import os
import queue
import re
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import DataError, IntegrityError, connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from providers import crypto
from providers.base.redaction import MASK, is_sensitive_key, redact_text_body, scrub, secrets_registry
from providers.models import ProviderConnection, WebhookEvent

logger = logging.getLogger("providers.callbacks")

MAX_BODY_BYTES = 64 * 1024
# The tasks payments registers to apply stored callbacks (see the module docstring):
# one event by id, and a list of ids (what the callback URL's outbox sends).
APPLY_TASK = "payments.apply_callback"
APPLY_MANY_TASK = "payments.apply_callbacks"
# How long a worker's claim on an event holds. Far longer than one apply (a status
# call's timeouts and retries), so a live worker keeps it; a worker that died leaves
# a claim that expires, and the event can then be taken again. ``claim_lease()`` reads
# ``CALLBACK_CLAIM_LEASE_SECONDS`` (a test that kills a worker shortens it).
CLAIM_LEASE = timedelta(minutes=5)
# Ids per APPLY_MANY_TASK message: one worker applies them one after another.
HAND_OVER_MAX = 50
# How long the outbox gathers ids before it sends them (``CALLBACK_HAND_OVER_SECONDS``):
# a quarter of a second is nothing next to the status call that confirms a callback, and
# under load it makes each message carry many ids.
HAND_OVER_SECONDS = 0.25


def claim_lease() -> timedelta:
    seconds = getattr(settings, "CALLBACK_CLAIM_LEASE_SECONDS", None)
    return CLAIM_LEASE if seconds is None else timedelta(seconds=seconds)

# What each provider expects back; any 200 will do for those whose docs say nothing.
ACKNOWLEDGEMENTS = {"enigmapay": {"success": True}}
DEFAULT_ACKNOWLEDGEMENT = {"received": True}

# Transport and cookie headers tell nothing about the callback and may carry session data.
_DROPPED_HEADERS = {"cookie", "connection", "keep-alive", "transfer-encoding"}


@dataclass(frozen=True)
class CallbackReceipt:
    event_id: int
    created: bool
    times_received: int
    processing: str = WebhookEvent.Processing.PENDING

    @property
    def needs_applying(self) -> bool:
        """New, or a replay of one still pending (its first enqueue may have been lost);
        a replay of a finished event enqueues nothing."""
        return self.processing == WebhookEvent.Processing.PENDING


def callback_acknowledgement(provider: str) -> dict:
    return ACKNOWLEDGEMENTS.get(provider, DEFAULT_ACKNOWLEDGEMENT)


def _connection_secrets(connection: ProviderConnection) -> list[str]:
    """The connection's secret values, decrypted once per connection object (the callback
    URL keeps its connections cached for a few seconds) and again when they change."""
    held = getattr(connection, "_callback_secrets", None)
    if held is not None and held[0] == connection.credentials_encrypted:
        return held[1]
    try:
        secrets = list(connection.credentials.values())
    except crypto.DecryptionError:  # unreadable credentials must not lose the callback
        secrets = []
    connection._callback_secrets = (connection.credentials_encrypted, secrets)
    return secrets


def _storable(text: str) -> str:
    # PostgreSQL text and jsonb refuse NUL; U+FFFD is what undecodable bytes show as too.
    return text.replace("\x00", "\ufffd")


def _stored_headers(headers: dict[str, str], secrets: list[str]) -> dict[str, str]:
    """Masked by name (Authorization, X-Api-Key...) and by value (a PAN or a token in
    a header of any name)."""
    shown = {}
    for name, value in headers.items():
        if name.lower() in _DROPPED_HEADERS:
            continue
        shown[name] = MASK if _sensitive_header(name) else _scrubbed_header_value(value, tuple(secrets))
    return shown


# Header names and most header values (User-Agent, Content-Type, Accept...) are the same
# delivery after delivery, and masking them was as costly as masking the body: the
# results are kept. ``scrub`` is a pure function of the text, the secrets and the
# process's registry of known secrets (its compiled pattern is part of the key). A value
# with a run of digits long enough for a card number is never kept: it is masked afresh.
_sensitive_header = functools.lru_cache(maxsize=512)(is_sensitive_key)
_PAN_LIKE = re.compile(r"(?:\d[ -]?){12}")


def _scrubbed_header_value(value: str, secrets: tuple[str, ...]) -> str:
    if len(value) > 200 or _PAN_LIKE.search(value):
        return _storable(scrub(value, secrets))
    return _scrubbed_cached(value, secrets, secrets_registry.pattern())


@functools.lru_cache(maxsize=2048)
def _scrubbed_cached(value: str, secrets: tuple[str, ...], _registry_pattern) -> str:
    return _storable(scrub(value, secrets))


def _shown_body(body: bytes, secrets: list[str]) -> tuple[str, bool]:
    """The text people see, and whether it differs from the bytes received."""
    text = body.decode("utf-8", errors="replace")
    shown = _storable(redact_text_body(text, secret_values=secrets))
    return shown, shown.encode("utf-8") != body


def webhook_event_receive(
    *, connection: ProviderConnection, headers: dict[str, str], body: bytes, remote_addr: str | None
) -> CallbackReceipt:
    """Store a callback for ``connection``, or count it if this body came before."""
    secrets = _connection_secrets(connection)
    shown, redacted = _shown_body(body, secrets)
    event_id, times_received, processing = _insert_or_count_replay({
        "connection_id": connection.pk,
        "provider": connection.provider,
        "headers": _stored_headers(headers, secrets),
        "body": shown,
        "body_redacted": redacted,
        # The exact bytes, encrypted, only where ``body`` is not them already: a copy of
        # what is stored in clear beside it would hide nothing (and its encryption was a
        # quarter of the view's own time).
        "body_encrypted": crypto.fernet().encrypt(body) if redacted else b"",
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "remote_addr": remote_addr,
    })
    return CallbackReceipt(
        event_id=event_id, created=times_received == 1, times_received=times_received, processing=processing
    )


def webhook_event_enqueue(*, event_id: int) -> None:
    """Queue the apply task once the current transaction commits (at once in
    autocommit). A broker failure is logged, not raised: the event is stored and
    pending, the provider must still get its answer, and the sweep will enqueue it."""

    def send() -> None:
        try:
            current_app.send_task(APPLY_TASK, args=[event_id])
        except Exception:  # the broker's errors are many and transport-specific
            logger.exception("could not enqueue callback %s; the sweep will pick it up", event_id)

    transaction.on_commit(send)


class _Outbox:
    """Ids of stored callbacks waiting to be sent to the workers, for this process. The
    first id wakes the thread, which waits ``CALLBACK_HAND_OVER_SECONDS`` for more, then
    sends them all (``HAND_OVER_MAX`` per message). Started on first use, so in each
    gunicorn worker after the fork; emptied at exit (a graceful restart strands nothing)."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._ids: list[int] = []
        self._pid = 0

    def add(self, event_id: int) -> None:
        with self._ready:
            if self._pid != os.getpid():  # first use in this process (or a forked child)
                self._ids, self._pid = [], os.getpid()
                threading.Thread(target=self._run, name="callback-outbox", daemon=True).start()
            self._ids.append(event_id)
            if len(self._ids) == 1:
                self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._ids:
                    self._ready.wait()
            time.sleep(getattr(settings, "CALLBACK_HAND_OVER_SECONDS", HAND_OVER_SECONDS))
            self.flush()

    def flush(self) -> None:
        with self._ready:
            ids, self._ids = list(dict.fromkeys(self._ids)), []  # a replay's id once
        if not ids:
            return
        try:
            with current_app.producer_or_acquire() as producer:  # one producer for every chunk
                for start in range(0, len(ids), HAND_OVER_MAX):
                    current_app.send_task(APPLY_MANY_TASK, args=[ids[start:start + HAND_OVER_MAX]],
                                          producer=producer)
        except Exception:  # the broker's errors are many and transport-specific
            logger.exception("could not enqueue callbacks %s; the sweep will pick them up", ids)


_outbox = _Outbox()
atexit.register(_outbox.flush)


def webhook_event_hand_over(*, event_id: int) -> None:
    """Queue a just-stored event for applying, soon and in bulk (see ``_Outbox``). For the
    callback URL, in autocommit: the row is committed already."""
    _outbox.add(event_id)


def webhook_event_claimable() -> Q:
    """Events no live worker holds: pending, finished, or claimed longer ago than the lease."""
    busy = Q(processing=WebhookEvent.Processing.PROCESSING, claimed_at__gte=timezone.now() - claim_lease())
    return ~busy


class ReprocessRefused(ValueError):
    """The event cannot be re-run now; the message says why."""


def webhook_event_reprocess(*, event: WebhookEvent) -> WebhookEvent:
    """Put an event back to pending and queue it again (admin and API "re-run").
    Applying is idempotent (transitions refuse or no-op), so re-running a processed
    event re-confirms it with the provider and changes nothing twice. An event a worker
    is processing right now is refused rather than raced (one whose claim expired, its
    worker gone, may be re-run); its attempts are kept."""
    updated = (
        WebhookEvent.objects.filter(pk=event.pk)
        .filter(webhook_event_claimable())
        .update(processing=WebhookEvent.Processing.PENDING, error="", outcome="", claimed_at=None,
                processed_at=None)
    )
    if not updated:
        raise ReprocessRefused("This callback is being processed right now; try again in a moment.")
    webhook_event_enqueue(event_id=event.pk)
    event.refresh_from_db()
    return event


def _insert_or_count_replay(values: dict) -> tuple[int, int, str]:
    """One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the event's id, how
    many times it has now been received and its processing state. ``values`` are by
    column name (``attname``); every other column takes the model field's default (or
    now, for ``auto_now_add``), so a field added later is stored too. Those defaults are
    prepared once per process: no model instance is built (its signals and per-field
    preparation were a good part of the store's CPU).

    On PostgreSQL its values are bound by the server and the statement is prepared on
    each database connection (``_PreparedCursor``): Django binds values into the text on
    the client and turns psycopg's statement preparation off by default. It goes through
    Django's cursor all the same: its errors, query logging and execute wrappers apply.

    With ``CALLBACK_BATCHED_STORE`` (production), the callback URL's threads hand their
    rows to this process's ``_BatchedStore`` instead, which stores what arrives at once
    in one statement and one commit, and answers each thread once it is committed."""
    db = connections[router.db_for_write(WebhookEvent)]
    # Inside a transaction the row must be the caller's (another connection would not see
    # its uncommitted rows, nor wait for its commit): the writer serves autocommit only.
    if db.vendor == "postgresql" and getattr(settings, "CALLBACK_BATCHED_STORE", False) and not db.in_atomic_block:
        return _batched_store.store(values)
    return _insert_rows(db, [values])[0]


def _insert_rows(db, rows: list[dict]) -> list[tuple[int, int, str]]:
    """Store ``rows`` (no two with the same connection and body) in one statement; for
    each, in order: its id, times received now, processing state. A row's
    ``times_received`` (default 1) is how many deliveries it stands for.

    On PostgreSQL a column no row names (a default, or now) is one parameter the rows
    share, by name: a batch of four callbacks is 45 parameters, not 76. psycopg parses a
    statement with more than 50 parameters again at every execution (it caches only
    smaller ones), and that parse cost more client CPU than the rest of a batch's
    insert."""
    now = timezone.now()
    named = tuple(sorted(set().union(*rows)))  # the columns any row names
    sql, per_row, shared = _insert_sql(db.alias, db.vendor == "postgresql", named, len(rows))
    if shared is None:  # positional: every column of every row
        params = [_column_value(field, default, values, now, db) for values in rows for field, default in per_row]
    else:
        params = {f"s{i}": _column_value(field, default, {}, now, db) for i, (field, default) in enumerate(shared)}
        for n, values in enumerate(rows):
            for i, (field, default) in enumerate(per_row):
                params[f"r{n}_{i}"] = _column_value(field, default, values, now, db)
    with _server_binding_cursor(db) as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    if len(rows) == 1:
        return [tuple(returned[0][:3])]
    # RETURNING's order is not promised to be the VALUES' order: matched by key.
    by_key = {(connection_id, sha): (pk, times, processing) for pk, times, processing, connection_id, sha in returned}
    return [by_key[(values["connection_id"], values["body_sha256"])] for values in rows]


def _column_value(field, default, values: dict, now, db):
    if field.attname in values:
        return field.get_db_prep_save(values[field.attname], db)
    if default is _NOW:
        return field.get_db_prep_save(now, db)
    if default is _CALLABLE:
        return field.get_db_prep_save(field.get_default(), db)
    return default


def _server_binding_cursor(db):
    if db.vendor != "postgresql":
        return db.cursor()
    db.ensure_connection()
    with db.wrap_database_errors:
        return db._prepare_cursor(_prepared_cursor_class()(db.connection))  # what db.cursor() does, another class


@functools.cache
def _prepared_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class _PreparedCursor(ServerBindingCursor):
        """Values bound by the server, and the statement prepared once per database
        connection (parsed and planned once, then only executed). ``DATABASE_PREPARED_
        STATEMENTS=false`` turns preparing off, for a transaction-mode pooler that
        cannot keep a connection's prepared statements (PgBouncer before 1.21)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            if prepare is None:
                prepare = getattr(settings, "DATABASE_PREPARED_STATEMENTS", True)
            if prepare and self.connection.prepare_threshold is None:
                # Django turns preparing off by setting no threshold, and then psycopg
                # ignores prepare=True too. A threshold no statement reaches prepares
                # only what asks (Django's own cursors bind on the client: never).
                self.connection.prepare_threshold = _NEVER_BY_COUNT
            return super().execute(query, params, prepare=prepare, binary=binary)

    return _PreparedCursor


_NEVER_BY_COUNT = 2**31 - 1
_NOW, _CALLABLE = object(), object()


@functools.cache
def _insert_sql(alias: str, by_name: bool, named: tuple[str, ...], rows: int) -> tuple[str, list, list | None]:
    """The statement for ``rows`` rows naming the columns ``named``; the plan of the
    columns each row gives a value for; and, ``by_name``, that of the columns the rows
    share (``None`` when every value is positional). A plan is per column its field and
    what it gets when a row does not name it: now, a callable default (called each
    time), or its default prepared once."""
    db = connections[alias]
    meta, qn = WebhookEvent._meta, db.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    per_row, shared, placeholders = [], [], []
    for f in fields:
        if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
            step = (f, _NOW)
        elif f.has_default() and callable(f.default):  # (no default is NOT_PROVIDED, a class)
            step = (f, _CALLABLE)
        else:
            step = (f, f.get_db_prep_save(f.get_default(), db))
        if by_name and f.attname not in named and step[1] is not _CALLABLE:
            placeholders.append(f"%(s{len(shared)})s")
            shared.append(step)
        else:
            placeholders.append(None)
            per_row.append(step)
    value_rows = []
    for n in range(rows):
        cells, i = [], 0
        for placeholder in placeholders:
            if placeholder is None:
                placeholder, i = (f"%(r{n}_{i})s" if by_name else "%s"), i + 1
            cells.append(placeholder)
        value_rows.append("(" + ", ".join(cells) + ")")
    table = qn(meta.db_table)
    times, last = qn("times_received"), qn("last_received_at")
    connection_column = qn(meta.get_field("connection").column)
    columns = ", ".join(qn(f.column) for f in fields)
    conflict = f"{connection_column}, {qn('body_sha256')}"
    count = f"{times} = {table}.{times} + EXCLUDED.{times}, {last} = EXCLUDED.{last}"
    returning = f"{qn(meta.pk.column)}, {times}, {qn('processing')}, {connection_column}, {qn('body_sha256')}"
    # Only names quoted from the model go into the text; every value is a parameter.
    sql = (f"INSERT INTO {table} ({columns}) VALUES {', '.join(value_rows)} "  # noqa: S608
           f"ON CONFLICT ({conflict}) DO UPDATE SET {count} RETURNING {returning}")
    return sql, per_row, (shared if by_name else None)


class _Pending:
    """One request's row, and its answer once the writer has one. The request waits on a
    bare lock the writer releases: a ``threading.Event`` (a Condition, a lock per wait,
    its Python-level bookkeeping) cost each delivery more than the hand-over itself."""

    __slots__ = ("_answered", "done", "error", "result", "values")

    def __init__(self, values: dict) -> None:
        self.values, self.result, self.error, self.done = values, None, None, False
        self._answered = threading.Lock()
        self._answered.acquire()

    def answer(self, result=None, error: BaseException | None = None) -> None:
        """The writer's, once per row (a second call is ignored)."""
        if not self.done:
            self.result, self.error, self.done = result, error, True
            self._answered.release()

    def wait(self, timeout: float) -> bool:
        return self._answered.acquire(timeout=timeout)


class _BatchedStore:
    """The callback URL's inserts for this process, several deliveries per statement.

    Request threads put their row here and wait; one thread (started on first use, so in
    each gunicorn worker after the fork) takes everything waiting, up to ``BATCH_MAX``,
    stores it in one ``INSERT ... ON CONFLICT`` on its own database connection
    (autocommit: one commit), and wakes each request with its own result. Nothing is
    answered before its row is committed: a delivery's guarantee is the same as when it
    stored alone. What waits is what arrived while the previous statement ran, so an
    idle process stores one row at a time, as before, and a busy one pays one statement
    and one commit (one WAL flush) for many. Deliveries of one body in one batch are one
    row counted that many times; each caller gets its own count (the first a new row).
    A statement that fails on one row (a connection deleted since it was cached) is
    split, so that the others are stored and only that delivery sees the error."""

    BATCH_MAX = 32
    WAIT_SECONDS = 30.0  # far past any commit; a stuck store fails the request, never hangs it

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._pid = 0
        self._thread: threading.Thread | None = None

    def store(self, values: dict) -> tuple[int, int, str]:
        with self._lock:
            if self._pid != os.getpid():  # first use in this process (or a forked child)
                self._queue, self._pid, self._thread = queue.SimpleQueue(), os.getpid(), None
            if self._thread is None or not self._thread.is_alive():  # never dies, but if it did
                self._thread = threading.Thread(target=self._run, name="callback-store", daemon=True)
                self._thread.start()
        pending = _Pending(values)
        self._queue.put(pending)
        if not pending.wait(self.WAIT_SECONDS):
            raise TimeoutError("the callback store did not answer in time")
        if pending.error is not None:
            # One error may be every waiter's: each raises its own copy, not one shared
            # object whose traceback every thread would write to at once.
            raise copy.copy(pending.error) from pending.error
        return pending.result

    def close_connection(self) -> None:
        """Close the writer's database connection (it reconnects on the next row): for
        tests, whose database cannot be dropped while a connection is open on it."""
        if self._pid == os.getpid():
            closed = threading.Event()
            self._queue.put(closed)
            closed.wait(self.WAIT_SECONDS)

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            if isinstance(group[0], threading.Event):
                try:
                    connections.close_all()
                finally:
                    group[0].set()
                continue
            while len(group) < self.BATCH_MAX:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, threading.Event):  # after this group
                    self._queue.put(item)
                    break
                group.append(item)
            try:
                _reconnect_if_broken(connections[router.db_for_write(WebhookEvent)])
                self.write(group)
            except Exception as e:  # handed to the waiting requests, whatever it is
                for pending in group:
                    pending.answer(error=e)  # (those answered already keep their answer)

    @staticmethod
    def write(group: list[_Pending]) -> None:
        db = connections[router.db_for_write(WebhookEvent)]
        grouped: dict[tuple, list[_Pending]] = {}
        for pending in group:
            grouped.setdefault((pending.values["connection_id"], pending.values["body_sha256"]), []).append(pending)
        # In key order: two processes' batches that share rows lock them in one order, so
        # they wait for each other instead of deadlocking.
        by_key = dict(sorted(grouped.items()))
        rows = [{**same[0].values, "times_received": len(same)} for same in by_key.values()]
        try:
            results = _insert_rows(db, rows)
        except (IntegrityError, DataError):  # about a row, not the connection
            if len(rows) == 1:
                raise
            for same in by_key.values():  # each alone: only the row at fault fails
                try:
                    _BatchedStore.write(same)
                except (IntegrityError, DataError) as e:
                    for pending in same:
                        pending.answer(error=e)
            return
        for same, (pk, total, processing) in zip(by_key.values(), results, strict=True):
            for n, pending in enumerate(same):
                pending.answer((pk, total - len(same) + 1 + n, processing))


def _reconnect_if_broken(db) -> None:
    """The writer's connection lives as long as the process (it serves no request, so
    CONN_MAX_AGE's per-request aging does not apply): closed only when a statement
    failed and it no longer answers; the next statement reconnects."""
    if db.connection is not None and db.errors_occurred:
        if db.is_usable():
            db.errors_occurred = False
        else:
            db.close()


_batched_store = _BatchedStore()
