"""A bounded load run against the production-shaped server: several gunicorn workers and
several Celery worker processes on PostgreSQL and Redis, the EnigmaPay sandbox upstream.
For LOAD_SECONDS (60 by default) threads at once send payouts that share Idempotency-Keys,
callbacks (each body twice) and list reads. Afterwards: no answer was a 5xx, each key
made exactly one payout and EnigmaPay received exactly one send-money per payout (money
moved once), and every distinct callback body is stored exactly once and applied at most
once.

Needs PostgreSQL and Redis (as CI has); skipped on SQLite and the in-memory broker."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection as db_connection

from accounts.models import Role
from accounts.services import api_key_create
from payments.models import Kind, Transaction, TransactionEvent
from providers.models import WebhookEvent
from tests.helpers import requests_to, wait_for
from tests.test_gunicorn_access_log import free_port

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL", "").startswith("redis")
        or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the load run needs PostgreSQL and Redis shared by several processes, as CI has",
    ),
]

ROOT = Path(__file__).resolve().parent.parent.parent
LOAD_SECONDS = float(os.environ.get("PAYDESK_LOAD_SECONDS", "60"))
KEYS = 24  # distinct Idempotency-Keys: each must make one payout, however often it is sent
PAYOUT_THREADS, CALLBACK_THREADS, READ_THREADS = 4, 2, 2


def _env() -> dict[str, str]:
    db = db_connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DATABASE_CONN_MAX_AGE": "60",
        "CALLBACK_BATCHED_STORE": "true",  # as production: the callback URL's batched writer
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def server(tmp_path):
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--threads", "4", "--error-logfile", str(tmp_path / "web.log")],
        cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=2",
             "--without-gossip", "--without-mingle", "--loglevel=WARNING", "-n", f"load{i}@%h"],
            cwd=ROOT, env=_env(), stdout=(tmp_path / f"worker{i}.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for i in range(2)
    ]
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(url), timeout=60)
    yield url
    for proc in [web, *workers]:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in [web, *workers]:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_payouts_callbacks_and_reads_at_once_move_money_once_and_store_callbacks_once(server, sandbox, enigmapay,
                                                                                       merchant):
    _, raw_key = api_key_create(merchant=merchant, name="load", role=Role.MANAGER, created_by=None)
    auth = {"Authorization": f"Bearer {raw_key}"}
    callback_url = f"{server}/callbacks/enigmapay/{enigmapay.callback_token}/"
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    sent_bodies: set[bytes] = set()
    lock = threading.Lock()
    deadline = time.monotonic() + LOAD_SECONDS

    def record(response: requests.Response, what: str) -> None:
        with lock:
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                server_errors.append(f"{what} -> {response.status_code} {response.text[:200]}")

    def payouts(seed: int) -> None:
        rng, session = random.Random(seed), requests.Session()
        while time.monotonic() < deadline:
            key = rng.randrange(KEYS)
            body = {"connection": enigmapay.pk, "username": f"load{key}", "amount": f"{10 + key}.00",
                    "customer_iban": "TR880006400000000000001001", "customer_name": "Load Test",
                    "description": f"load payout {key}"}
            response = session.post(f"{server}/api/v1/payouts/", json=body, timeout=30,
                                    headers={**auth, "Idempotency-Key": f"load-key-{key}"})
            record(response, f"payout {key}")

    def callbacks(seed: int) -> None:
        rng, session, n = random.Random(seed), requests.Session(), 0
        while time.monotonic() < deadline:
            n += 1
            body = json.dumps({"transaction_id": 900000 + seed * 100000 + n, "status": "Completed",
                               "amount": 10.0, "username": "load", "description": "load",
                               "completed_at": "2026-12-02 10:00:00"}).encode()
            for _ in range(2):  # every delivery twice: a provider's retry
                response = session.post(callback_url, data=body, timeout=30,
                                        headers={"Content-Type": "application/json"})
                record(response, "callback")
            with lock:
                sent_bodies.add(body)
            time.sleep(rng.uniform(0, 0.02))

    def reads(seed: int) -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            record(session.get(f"{server}/api/v1/transactions/?limit=50", headers=auth, timeout=30), "list")

    threads = ([threading.Thread(target=payouts, args=(i,)) for i in range(PAYOUT_THREADS)]
               + [threading.Thread(target=callbacks, args=(i,)) for i in range(CALLBACK_THREADS)]
               + [threading.Thread(target=reads, args=(i,)) for i in range(READ_THREADS)])
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    print(f"load: {dict(statuses)} answers, {len(sent_bodies)} callback bodies")
    assert server_errors == []
    assert sum(statuses.values()) > 100, statuses  # the run did run
    payouts_made = Transaction.objects.filter(merchant=merchant, kind=Kind.PAYOUT)
    keys_used = set(payouts_made.values_list("payout__username", flat=True))
    assert payouts_made.count() == len(keys_used) <= KEYS, "one payout per Idempotency-Key"
    assert requests_to(sandbox, "enigmapay", "/send-money") == payouts_made.count(), "money moved once each"
    stored = WebhookEvent.objects.filter(connection=enigmapay)
    assert stored.count() == len(sent_bodies), "each distinct callback stored once"
    open_states = [WebhookEvent.Processing.PENDING, WebhookEvent.Processing.PROCESSING]
    wait_for(lambda: not stored.filter(processing__in=open_states).exists(), timeout=120)
    applied = Counter(TransactionEvent.objects.filter(source=TransactionEvent.Source.CALLBACK)
                      .values_list("transaction_id", flat=True))
    assert all(n == 1 for n in applied.values()), "no callback applied twice"
