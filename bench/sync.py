"""Sync of N pending transactions (default 10,000) against the EnigmaPay sandbox with
20 ms added to every call: wall time against the one-call-at-a-time bound, and the
number of upstream calls per transaction.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paydesk_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/13 \\
    /work/main/.venv/bin/python bench/sync.py [N] [--workers 2] [--concurrency 4]

The sandbox runs in its own process (``manage.py runsandbox``), the sync in real Celery
worker processes, as in production. The one-call-at-a-time bound is measured, not
assumed: a sample is synced with one thread in one process and its per-transaction
time multiplied by N. Upstream calls are counted from ``sync_attempts`` (each status
call adds one, whatever its answer)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta

import _procs
import _setup  # noqa: F401  (Django on the bench database)
import requests
from _procs import ROOT, cpu_seconds, result, stop, tree
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Merchant
from config.celery import app
from payments.models import Kind, Status, SyncRun, Transaction, TransactionEvent
from payments.sync import transactions as sync
from providers.enigmapay.testdata import DEMO_CREDENTIALS
from providers.services import connection_upsert

LATENCY = 0.020
SAMPLE = 200
# Seeded sandbox transactions that are Completed: each sync call finds its payout paid and
# writes the change and its event, the heaviest path a status answer takes.
UPSTREAM_IDS = ["1001", "1002", "1003", "1004"]


def start_sandbox() -> tuple[subprocess.Popen, str]:
    proc, url = _procs.start_sandbox()
    requests.post(f"{url}/_sandbox/config", json={"provider": "enigmapay", "latency": LATENCY}, timeout=5)
    return proc, url


def start_workers(count: int, concurrency: int) -> list[subprocess.Popen]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    return [
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",  # noqa: S603
                          f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
                          "--loglevel=WARNING", "-n", f"bench{i}@%h"],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
        for i in range(count)
    ]


def cpu_by_part(workers, sandbox) -> dict[str, float]:
    # PostgreSQL's share is not counted: a worker's task opens and closes its own
    # connection (CONN_MAX_AGE 0), so its backends are gone when the run is read.
    return {"workers": cpu_seconds(p for w in workers for p in tree(w.pid)), "sandbox": cpu_seconds([sandbox.pid])}


def make_rows(conn, count: int) -> list[int]:
    due = timezone.now() - timedelta(seconds=1)
    rows = [Transaction(merchant_id=conn.merchant_id, connection=conn, provider="enigmapay", kind=Kind.PAYOUT,
                        amount="10.00", currency="TRY", external_id=UPSTREAM_IDS[i % len(UPSTREAM_IDS)],
                        next_sync_at=due) for i in range(count)]
    return [t.pk for t in Transaction.objects.bulk_create(rows, batch_size=2000)]


def reset(merchant) -> None:
    TransactionEvent.objects.filter(transaction__merchant=merchant).delete()
    Transaction.objects.filter(merchant=merchant).delete()
    SyncRun.objects.filter(merchant=merchant).delete()


def calls(pks) -> int:
    return Transaction.objects.filter(pk__in=pks).aggregate(n=Sum("sync_attempts"))["n"] or 0


def one_at_a_time(conn) -> float:
    """Seconds per transaction, one call at a time in one process."""
    pks = make_rows(conn, SAMPLE)
    settings.SYNC_THREADS_PER_BATCH = 1
    settings.SYNC_BATCH_SIZE = SAMPLE
    now = timezone.now()
    lease = now + timedelta(minutes=6)
    claimed = sync._claim(conn, now=now, lease_until=lease, manual=False)
    run = SyncRun.objects.create(task="transactions", merchant_id=conn.merchant_id, connection=conn, total=SAMPLE)
    started = time.perf_counter()
    sync.transactions_sync_batch(run_id=run.pk, pks=claimed, lease_until=lease)
    elapsed = time.perf_counter() - started
    assert calls(pks) == SAMPLE and not Transaction.objects.filter(pk__in=pks).exclude(status=Status.SUCCEEDED)
    del settings.SYNC_THREADS_PER_BATCH, settings.SYNC_BATCH_SIZE
    return elapsed / SAMPLE


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", nargs="?", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        raise SystemExit("Run it on PostgreSQL and Redis: set DATABASE_URL and CELERY_BROKER_URL.")
    sandbox, url = start_sandbox()
    merchant, _ = Merchant.objects.get_or_create(slug="bench-sync", defaults={"name": "Bench sync"})
    reset(merchant)
    conn, _ = connection_upsert(merchant=merchant, provider="enigmapay", mode="test",
                                base_url=f"{url}/enigmapay/api/dealer", credentials=dict(DEMO_CREDENTIALS))
    workers = []
    try:
        per_call_before = one_at_a_time(conn)
        reset(merchant)
        pks = make_rows(conn, args.count)
        app.control.purge()
        workers = start_workers(args.workers, args.concurrency)
        time.sleep(3)  # the workers' start-up is not the sync's time
        before = cpu_by_part(workers, sandbox)
        started = time.perf_counter()
        runs = sync.transactions_dispatch()
        # Poll the runs, not the 10,000 rows: a query naming every id cost this process
        # about 0.1 s of CPU per poll, CPU the sync under measurement did not get.
        while SyncRun.objects.filter(pk__in=[r.pk for r in runs], finished_at__isnull=True).exists():
            time.sleep(0.2)
        wall = time.perf_counter() - started
        assert not Transaction.objects.filter(merchant=merchant).exclude(status=Status.SUCCEEDED).exists()
        cpu = {k: v - before.get(k, 0) for k, v in cpu_by_part(workers, sandbox).items()}
        upstream = calls(pks)
        stop(workers)
        # Again after the run, on the same box: the load of a shared machine drifts, and it
        # stretches the one-at-a-time time (every wait is in series) more than the sync's.
        per_call_after = one_at_a_time(conn)
    finally:
        stop([*workers, sandbox])
    per_call = (per_call_before + per_call_after) / 2
    bound = per_call * args.count
    print(f"transactions: {args.count:,}; added latency per call: {LATENCY * 1000:.0f} ms")
    print(f"workers: {args.workers} x prefork {args.concurrency}, {sync.policy.threads_per_batch()} threads "
          f"per batch, {len(runs)} run(s)")
    print(f"one call at a time: {per_call_before * 1000:.1f} ms per transaction before the run, "
          f"{per_call_after * 1000:.1f} after (samples of {SAMPLE}) -> bound {bound:.1f} s")
    print(f"concurrent sync: {wall:.1f} s wall, {args.count / wall:.0f} transactions/s, "
          f"{bound / wall:.1f}x faster than the bound")
    print(f"upstream calls: {upstream:,} ({upstream / args.count:.2f} per transaction)")
    print("CPU per transaction: " + ", ".join(f"{k} {v / args.count * 1000:.2f} ms" for k, v in cpu.items())
          + f" (2 cores over the wall time: {2 * wall / args.count * 1000:.2f} ms; PostgreSQL and the "
          "other suites on the box take the rest)")
    result({"transactions": args.count, "latency_ms": LATENCY * 1000, "workers": args.workers,
            "concurrency": args.concurrency, "threads_per_batch": sync.policy.threads_per_batch(), "runs": len(runs),
            "one_at_a_time_ms": [per_call_before * 1000, per_call_after * 1000], "bound_s": bound, "wall_s": wall,
            "speedup": bound / wall, "upstream_calls": upstream,
            "cpu_ms_per_transaction": {k: v / args.count * 1000 for k, v in cpu.items()}})


if __name__ == "__main__":
    main()
