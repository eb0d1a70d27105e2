"""The EnKash session token: one per connection for every process. Two OS processes that
need it at the same moment fetch it once from the sandbox (a lock in the shared cache);
the periodic task renews it before it expires, and the web's calls then use the renewed
one without asking EnKash."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from providers.enkash.sandbox_data import DEMO_CREDENTIALS
from providers.services import client_for
from providers.tasks import enkash_tokens_renew
from tests.helpers import requests_to

ROOT = Path(__file__).resolve().parents[2]
TOKEN_PATH = "/api/v0/merchant/token"

# One process: build a client on the shared store as Paydesk does, wait for the common
# start instant, ask for the token, print a hash of it.
FETCH = """
import hashlib, os, sys, time
import django
django.setup()
from django.core.cache import caches
from providers import crypto
from providers.base.client import build_session
from providers.enkash.client import EnKashClient
from providers.enkash.tokens import SharedTokenStore
base_url, key, access_key, secret_key, start = sys.argv[1:6]
store = SharedTokenStore(caches["shared"], key, seal=crypto.encrypt_json, unseal=crypto.decrypt_json)
client = EnKashClient(base_url=base_url, access_key=access_key, secret_key=secret_key, session=build_session(),
                      token_store=store)
time.sleep(max(0.0, float(start) - time.time()))
print(hashlib.sha256(client.authorization_token().token.encode()).hexdigest())
"""


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def _environment(tmp_path, backend: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    if backend == "database":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        env["SHARED_CACHE_URL"] = "dbcache://paydesk_shared_cache"
        subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True, timeout=60)
    else:
        env["SHARED_CACHE_URL"] = f"redis://127.0.0.1:6379/{os.environ.get('PAYDESK_TEST_REDIS_DB', '4')}"
    return env


@pytest.mark.parametrize("backend", ["database", pytest.param("redis", marks=pytest.mark.skipif(
    not _redis_up(), reason="no Redis on 127.0.0.1:6379"))])
def test_two_processes_fetch_the_token_once(sandbox, tmp_path, backend):
    env = _environment(tmp_path, backend)
    key = f"test-{secrets.token_hex(6)}"  # a connection nobody else uses
    start = time.time() + 4.0  # both are up and waiting by then
    args = [sandbox.base_url("enkash"), key, DEMO_CREDENTIALS["access_key"], DEMO_CREDENTIALS["secret_key"], str(start)]
    before = requests_to(sandbox, "enkash", TOKEN_PATH)
    processes = [subprocess.Popen([sys.executable, "-c", FETCH, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err for _, err in outputs]
    hashes = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert len(hashes) == 1  # the same token in both processes
    assert requests_to(sandbox, "enkash", TOKEN_PATH) - before == 1  # fetched once


@pytest.mark.django_db
def test_the_periodic_task_renews_before_expiry_and_the_web_uses_the_renewed_token(sandbox, enkash):
    sb = sandbox.sandbox("enkash")
    assert enkash_tokens_renew() == 1
    assert requests_to(sandbox, "enkash", TOKEN_PATH) == 1
    enkash_tokens_renew()  # fresh for well over the renewal window: nothing asked
    assert requests_to(sandbox, "enkash", TOKEN_PATH) == 1
    sb.configure({"token_ttl": 300})  # tokens now expire within the window: each run renews
    from providers.enkash import tokens

    tokens._copies.clear()  # as a worker process that has not seen it yet
    from django.core.cache import caches

    caches["shared"].clear()
    enkash_tokens_renew()
    enkash_tokens_renew()
    assert requests_to(sandbox, "enkash", TOKEN_PATH) == 3
    sb.configure({"token_ttl": 1800})
    enkash_tokens_renew()  # replaces the short one
    assert requests_to(sandbox, "enkash", TOKEN_PATH) == 4
    tokens._copies.clear()  # a web process: reads the shared token, asks EnKash nothing for it
    client_for(enkash).search_settlement_payouts(limit=1)
    assert requests_to(sandbox, "enkash", TOKEN_PATH) == 4


@pytest.mark.django_db
def test_the_shared_token_is_sealed_in_the_cache(sandbox, enkash):
    from django.core.cache import caches

    token = client_for(enkash).authorization_token()
    stored = [caches["shared"].get(k) for k in _keys(enkash)]
    assert stored and all(isinstance(v, str) and token.token not in v for v in stored)


def _keys(connection):
    from providers.enkash.tokens import connection_key

    creds = connection.credentials
    key = connection_key(connection.base_url, creds["access_key"], creds["secret_key"])
    return [f"enkash-token:{connection.pk}:{key}"]
