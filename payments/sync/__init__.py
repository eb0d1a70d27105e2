"""Status sync: Paydesk asks each provider what became of the transactions it has not
seen end, and reads EnigmaPay balances.

Policy that is not obvious:
- A sync only *asks*. No syncer sends money, creates a link or retries a write: an
  ``unknown`` payout is resolved from EnigmaPay's own status (or its IBAN history),
  and while EnigmaPay does not know it, it stays unknown.
- A due transaction is claimed with a lease (``next_sync_at`` pushed past the task's
  hard time limit, under ``select_for_update(skip_locked=True)``) in a short database
  transaction; the provider is called afterwards, outside any transaction. Two workers
  never ask about the same row at once, and a worker killed mid-run loses nothing: its
  lease runs out and the row is due again.
- Asking again backs off per transaction (30 s, 1, 2, 4 minutes... capped at an hour);
  after a bound (``policy.ATTENTION_AFTER``) an unresolved transaction is flagged
  "needs attention" and shown on the home page. It is never marked failed for it.
- A connection whose calls fail (unreachable, 5xx, credentials refused) backs off as a
  whole, recorded on its ``SyncRun``; the other connections go on.

Modules: ``registry`` (which function syncs which provider and kind), ``enigmapay``
(its syncers), ``transactions`` (claim, fan out, run a batch), ``balances``,
``selectors`` (what the dashboard shows).
"""
