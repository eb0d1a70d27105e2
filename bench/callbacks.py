"""Callback intake: requests per second and p50 / p99 latency of the callback URL
against a bare view (same gunicorn, production settings, PostgreSQL, one run), then
a real Celery worker applies everything and the run checks that every delivery was
stored and nothing was applied twice.

    /work/main/.venv/bin/python bench/callbacks.py [DELIVERIES]   (default 10,000)

Uses its own PostgreSQL database (recreated: BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/paydesk_cbbench), Redis db 13 (flushed), the
sandboxes on a free port and gunicorn on another. Loopback only; bounded count.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool
from urllib.parse import urlsplit

import requests
from _procs import ROOT, children, cpu_seconds, free_port, result, start_sandbox, stop, wait_answers

PY = sys.executable
DUPLICATE_SHARE = 0.10
REAL_PAYOUTS = 50
BODIES_PER_PAYOUT = 20
PROCESSES, THREADS = 4, 8
GUNICORN = os.environ.get("BENCH_GUNICORN", "--workers 2 --threads 16").split()  # as bin/run
ROUNDS = 10
WARM_PREFIX = '{"warm": '


def bench_env() -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings_callbacks",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paydesk_cbbench"),
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "PAYDESK_LOG_LEVEL": "WARNING",
    }


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


def seed(sandbox_url: str) -> tuple[str, list[dict]]:
    """A merchant, its EnigmaPay connection on the sandbox, and completed payouts."""
    import django

    django.setup()
    from accounts.models import Merchant
    from payments.services.common import Actor
    from payments.services.payouts import payout_create
    from providers.enigmapay.testdata import CUSTOMER_IBAN_OK, DEMO_CREDENTIALS
    from providers.services import connection_upsert

    requests.post(f"{sandbox_url}/_sandbox/config", json={"provider": "enigmapay", "completion_delay": 0.5},
                  timeout=5).raise_for_status()
    merchant = Merchant.objects.create(name="Bench Callbacks", slug="bench-callbacks", country="TR",
                                       default_currency="TRY")
    connection, _ = connection_upsert(merchant=merchant, provider="enigmapay", mode="test",
                                      base_url=f"{sandbox_url}/enigmapay/api/dealer",
                                      credentials=dict(DEMO_CREDENTIALS))
    payouts = [payout_create(connection=connection, actor=Actor.system(), username="bench", amount="100.00",
                             customer_iban=CUSTOMER_IBAN_OK, customer_name="Bench Customer")
               for _ in range(REAL_PAYOUTS)]
    time.sleep(1.5)  # the sandbox completes them
    return connection.callback_path(), [{"pk": p.pk, "id": int(p.external_id)} for p in payouts]


def deliveries(count: int, payouts: list[dict]) -> list[bytes]:
    unique = count - int(count * DUPLICATE_SHARE)
    real = [
        {"transaction_id": p["id"], "status": "Completed", "amount": "100.00", "n": n}
        for p in payouts for n in range(BODIES_PER_PAYOUT)
    ][:unique]
    forged = [{"transaction_id": 900_000 + n, "status": "Completed", "amount": "100.00"}
              for n in range(unique - len(real))]
    bodies = [json.dumps(b).replace('"100.00"', "100.00").encode() for b in real + forged]
    rng = random.Random(7)
    everything = bodies + rng.sample(bodies, count - unique)
    rng.shuffle(everything)
    return everything


# -- load ------------------------------------------------------------------------------------
def _post_chunk(args: tuple[str, list[bytes]]) -> tuple[float, float, list[float]]:
    """(first send, last answer, latencies) for one client process."""
    url, chunk = args
    sessions: dict[int, requests.Session] = {}

    def one(body: bytes) -> tuple[float, float]:
        import threading

        session = sessions.setdefault(threading.get_ident(), requests.Session())
        start = time.perf_counter()
        answer = session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        end = time.perf_counter()
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {answer.status_code}")
        return start, end

    with ThreadPoolExecutor(THREADS) as pool:
        spans = list(pool.map(one, chunk))
    return min(s for s, _ in spans), max(e for _, e in spans), [e - s for s, e in spans]


def server_pids(master: int, database: str) -> tuple[list[int], list[int]]:
    """The gunicorn workers, and the PostgreSQL backends serving the bench database."""
    import psycopg

    workers = children(master)
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        backends = [r[0] for r in db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])]
    return workers, backends


class Load:
    """Requests, wall time, latencies and server CPU of one view, summed over rounds."""

    def __init__(self) -> None:
        self.n, self.wall, self.cpu, self.db_cpu, self.client_cpu, self.latencies = 0, 0.0, 0.0, 0.0, 0.0, []

    def run(self, pool: Pool, url: str, bodies: list[bytes], pids) -> None:
        chunks = [(url, bodies[i::PROCESSES]) for i in range(PROCESSES)]
        clients = [p.pid for p in pool._pool]  # the load generator's processes
        (web, db), client_before = pids(), cpu_seconds(clients)
        web_before, db_before = cpu_seconds(web), cpu_seconds(db)
        parts = pool.map(_post_chunk, chunks)
        web, db = pids()
        self.cpu += cpu_seconds(web) - web_before
        self.db_cpu += cpu_seconds(db) - db_before
        self.client_cpu += cpu_seconds(clients) - client_before
        self.wall += max(p[1] for p in parts) - min(p[0] for p in parts)
        self.latencies += [x for p in parts for x in p[2]]
        self.n += len(bodies)

    def summary(self) -> dict:
        ordered = sorted(self.latencies)
        return {"rps": self.n / self.wall, "p50": statistics.median(ordered) * 1000,
                "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000, "n": self.n,
                "cpu_ms": (self.cpu + self.db_cpu) / self.n * 1000, "db_cpu_ms": self.db_cpu / self.n * 1000,
                "client_cpu_ms": self.client_cpu / self.n * 1000}


# -- after: apply everything with a real worker, check ------------------------------------------
def check(payouts: list[dict], count: int, worker_env: dict) -> dict:
    from django.db.models import Count, Max, Sum

    from payments.models import Transaction, TransactionEvent
    from providers.models import WebhookEvent

    events = WebhookEvent.objects.all()
    measured = events.exclude(body__startswith=WARM_PREFIX)  # the warm-up's events are applied, not counted
    stored = measured.aggregate(n=Count("id"), deliveries=Sum("times_received"))
    worker = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [PY, "-m", "celery", "-A", "config", "worker", "--concurrency", "4", "-l", "WARNING"], cwd=ROOT, env=worker_env)
    start = time.perf_counter()
    try:
        while events.filter(processing__in=["pending", "processing"]).exists():
            if time.perf_counter() - start > 600:
                raise SystemExit("the worker did not drain the callbacks in 10 minutes")
            time.sleep(1)
        drained = time.perf_counter() - start
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    pks = [p["pk"] for p in payouts]
    per_payout = (TransactionEvent.objects.filter(transaction_id__in=pks, source="callback")
                  .values("transaction_id").annotate(n=Count("id")))
    return {
        "stored_events": stored["n"], "deliveries_counted": stored["deliveries"], "expected_deliveries": count,
        "max_attempts": measured.aggregate(m=Max("attempts"))["m"],
        "succeeded_payouts": Transaction.objects.filter(pk__in=pks, status="succeeded").count(),
        "callback_events_per_payout": sorted({row["n"] for row in per_payout}),
        "outcomes": dict(measured.values_list("processing").annotate(n=Count("id")).order_by()),
        "apply_seconds": round(drained, 1),
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    env = bench_env()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    recreate_database(env["DATABASE_URL"])
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    sandbox_proc, sandbox = start_sandbox(env=env, stderr=None)
    web_port = free_port()
    procs = [
        sandbox_proc,
        subprocess.Popen(  # noqa: S603 - this interpreter, the project's command
            [PY, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi", "--bind",
             f"127.0.0.1:{web_port}", *GUNICORN], cwd=ROOT, env=env),
    ]
    try:
        web = f"http://127.0.0.1:{web_port}"
        wait_answers(web + "/bench/bare/")
        callback_path, payouts = seed(sandbox)
        bodies = deliveries(count, payouts)
        warm = [WARM_PREFIX.encode() + b"%d}" % n for n in range(200)]
        database = urlsplit(env["DATABASE_URL"]).path.lstrip("/")

        def pids():
            return server_pids(procs[1].pid, database)

        bare, callback = Load(), Load()
        with Pool(PROCESSES) as pool:
            # Both views warmed up alike (connections, the callback's prepared statement and
            # threads); the callback's warm-up events are left out of the checks.
            Load().run(pool, web + "/bench/bare/", warm, pids)
            Load().run(pool, web + callback_path, warm, pids)
            # Interleaved rounds, so that both views meet the same background load (the
            # box is shared): each round sends its slice to one view, then the other.
            for n in range(ROUNDS):
                part = bodies[n::ROUNDS]
                for load in ((bare, callback) if n % 2 == 0 else (callback, bare)):
                    load.run(pool, web + ("/bench/bare/" if load is bare else callback_path), part, pids)
        bare, callback = bare.summary(), callback.summary()
        print_load(count, bare, callback)
        from providers.models import WebhookEvent

        stored = WebhookEvent.objects.exclude(body__startswith=WARM_PREFIX).count()
        assert stored == count - int(count * DUPLICATE_SHARE), stored
        # BENCH_SKIP_APPLY=1: the intake figures only (to compare code versions quickly).
        applied = {} if os.environ.get("BENCH_SKIP_APPLY") else check(payouts, count, env)
    finally:
        stop(procs)
    print(json.dumps(applied, indent=1))
    unique = count - int(count * DUPLICATE_SHARE)
    called_back = min(REAL_PAYOUTS, -(-unique // BODIES_PER_PAYOUT))  # as deliveries() cuts the real bodies
    result({"deliveries": count, "duplicate_share": DUPLICATE_SHARE, "rounds": ROUNDS, "real_payouts": called_back,
            "bare": bare, "callback": callback, "applied": applied})


def print_load(count: int, bare: dict, callback: dict) -> None:
    print(f"{count} deliveries, {DUPLICATE_SHARE:.0%} duplicates, {PROCESSES}x{THREADS} client threads, "
          f"gunicorn {' '.join(GUNICORN)}, {ROUNDS} interleaved rounds")
    print("| view | req/s | p50 ms | p99 ms | server CPU ms / request (of which PostgreSQL) "
          "| client CPU ms / request |\n|---|---|---|---|---|---|")
    for name, r in (("bare view", bare), ("callback URL", callback)):
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['cpu_ms']:.2f} "
              f"({r['db_cpu_ms']:.2f}) | {r['client_cpu_ms']:.2f} |")
    print(f"callback / bare throughput: {callback['rps'] / bare['rps']:.0%}")
    # What the box would give each view if the bench had its CPU to itself (Redis's share
    # of the callback's work is not counted).
    cost = {name: r["cpu_ms"] + r["client_cpu_ms"] for name, r in (("bare", bare), ("callback", callback))}
    print(f"CPU per request, server and client: bare {cost['bare']:.2f} ms, callback {cost['callback']:.2f} ms "
          f"-> {cost['bare'] / cost['callback']:.0%} on a box of its own", flush=True)


if __name__ == "__main__":
    main()
