"""Each settings mode loads from the environment; production demands its secrets and
passes Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

PROD_ENV = {
    "DJANGO_SECRET_KEY": "prod-" + "x7Qm2vL9pR4tY8wK3nB6cF1hJ5dS0gA" * 2,
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/paydesk",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_ALLOWED_HOSTS": "paydesk.example.com",
}


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "FIELD_"))}
    env.update(extra)
    return env


def _run(code: str, module: str, **env):
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE=module, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_local_settings_use_sqlite_and_filesystem_broker_with_no_environment():
    result = _run(
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL,"
        " settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'], settings.DEBUG)",
        "config.settings.local",
    )
    assert result.returncode == 0, result.stderr
    engine, broker, folder, debug = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert broker == "filesystem://"
    assert folder.endswith("var/celery/queue")
    assert debug == "True"


def test_local_settings_follow_database_and_broker_urls():
    result = _run(
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)",
        "config.settings.local",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/x",
        CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "amqp://guest:guest@127.0.0.1:5672//"]


# Two transactions that each read, then write, at the same moment: as a balance sync on
# each of two connections did in the demo's Celery worker ("database is locked").
_READ_THEN_WRITE = """
import threading, time
from django.db import connection, transaction
with connection.cursor() as c:
    c.execute("CREATE TABLE t (n integer)")
    c.execute("PRAGMA journal_mode")
    mode = c.fetchone()[0]
errors, ready = [], threading.Barrier(2)
def one(n):
    try:
        ready.wait()
        with transaction.atomic():
            with connection.cursor() as c:
                c.execute("SELECT count(*) FROM t")
                time.sleep(0.3)
                c.execute("INSERT INTO t VALUES (%s)", [n])
    except Exception as e:
        errors.append(repr(e))
    finally:
        connection.close()
threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
[t.start() for t in threads]; [t.join() for t in threads]
with connection.cursor() as c:
    c.execute("SELECT count(*) FROM t")
    print(mode, c.fetchone()[0], errors)
"""


def test_local_sqlite_lets_concurrent_transactions_wait_for_each_other(tmp_path):
    result = _run(_READ_THEN_WRITE, "config.settings.local", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(maxsplit=2) == ["wal", "2", "[]"]  # both stored, neither refused


def test_test_settings_load():
    result = _run("print(settings.PASSWORD_HASHERS[0], settings.PROVIDER_READ_TIMEOUT)", "config.settings.test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.contrib.auth.hashers.MD5PasswordHasher", "2.0"]


def test_production_settings_load_from_environment():
    result = _run(
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.SESSION_COOKIE_SECURE)",
        "config.settings.production",
        **PROD_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.postgresql", "True"]


@pytest.mark.parametrize("missing", sorted(PROD_ENV))
def test_production_refuses_to_start_without_each_secret(missing):
    env = {k: v for k, v in PROD_ENV.items() if k != missing}
    result = _run("print('started')", "config.settings.production", **env)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert missing in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FIELD_ENCRYPTION_KEYS", ""),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("FIELD_ENCRYPTION_KEYS", "bG9jYWwtZGV2LW9ubHktZmVybmV0LWtleS0wMDAwMDA="),  # local.py's public key
        ("DATABASE_URL", ""),
        ("CELERY_BROKER_URL", ""),
        ("CELERY_BROKER_URL", "memory://"),
        ("DJANGO_ALLOWED_HOSTS", ""),
        ("DJANGO_SECRET_KEY", ""),
    ],
)
def test_production_refuses_empty_or_unusable_values(name, value):
    result = _run("print('started')", "config.settings.production", **{**PROD_ENV, name: value})
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert name in result.stderr


def test_local_settings_read_dot_env_over_their_defaults(tmp_path):
    env_file = ROOT / ".env"
    assert not env_file.exists(), "a developer .env would make this test meaningless"
    env_file.write_text("DATABASE_URL=sqlite:////tmp/paydesk-dotenv-test.sqlite3\n")
    try:
        result = _run("print(settings.DATABASES['default']['NAME'])", "config.settings.local")
    finally:
        env_file.unlink()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/tmp/paydesk-dotenv-test.sqlite3"


def test_production_refuses_the_development_secret_key():
    result = _run(
        "print('started')",
        "config.settings.production",
        **{**PROD_ENV, "DJANGO_SECRET_KEY": "local-dev-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"},
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_passes_deploy_checks():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE="config.settings.production", **PROD_ENV),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "sqlite:////tmp/paydesk-prod.sqlite3"),
        ("DATABASE_URL", "sqlite://:memory:"),
        ("CELERY_BROKER_URL", "filesystem://"),
        ("CELERY_BROKER_URL", "MEMORY://"),
        ("CELERY_BROKER_URL", "sqla+sqlite:////tmp/broker.sqlite3"),
        ("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0;memory://"),
    ],
)
def test_production_refuses_sqlite_and_single_machine_brokers(name, value):
    result = _run("print('started')", "config.settings.production", **{**PROD_ENV, name: value})
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert name in result.stderr


def test_production_accepts_rabbitmq_and_redis_failover():
    for broker in ("amqps://user:pw@mq.internal:5671//", "redis://a:6379/0;redis://b:6379/0"):
        result = _run("print(settings.CELERY_BROKER_URL)", "config.settings.production",
                      **{**PROD_ENV, "CELERY_BROKER_URL": broker})
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == broker


def test_production_trusts_x_forwarded_proto_only_when_told_a_proxy_sets_it():
    show = "print(settings.SECURE_PROXY_SSL_HEADER)"
    default = _run(show, "config.settings.production", **PROD_ENV)
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == "None"
    trusted = _run(show, "config.settings.production", **PROD_ENV, DJANGO_TRUST_X_FORWARDED_PROTO="true")
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_production_never_reads_a_dot_env_file():
    """A .env left on a server (say, a developer's, with DEBUG on and a test key) changes
    nothing: production sees only its environment, and what is missing there is missing."""
    env_file = ROOT / ".env"
    assert not env_file.exists(), "a developer .env would make this test meaningless"
    env_file.write_text("DJANGO_ALLOWED_HOSTS=paydesk.example.com\nDJANGO_TRUST_X_FORWARDED_PROTO=true\n")
    try:
        without_hosts = {k: v for k, v in PROD_ENV.items() if k != "DJANGO_ALLOWED_HOSTS"}
        missing = _run("print('started')", "config.settings.production", **without_hosts)
        loaded = _run("print(settings.SECURE_PROXY_SSL_HEADER)", "config.settings.production", **PROD_ENV)
    finally:
        env_file.unlink()
    assert missing.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in missing.stderr
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "None"


def test_production_allows_test_connections_only_to_listed_hosts():
    code = "print(repr(settings.PROVIDER_TEST_HOSTS))"
    result = _run(code, "config.settings.production", **PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    result = _run(code, "config.settings.production", **PROD_ENV,
                  PROVIDER_TEST_HOSTS="sandbox.enkash.example,sandbox.internal")
    assert result.stdout.strip() == "['sandbox.enkash.example', 'sandbox.internal']"
    for module in ("config.settings.local", "config.settings.test"):  # the open rule
        result = _run("print(hasattr(settings, 'PROVIDER_TEST_HOSTS'))", module)
        assert result.stdout.strip() == "False", module


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.celery"])
def test_the_server_entry_points_default_to_production_settings(entry_point):
    """A gunicorn or Celery worker started without DJANGO_SETTINGS_MODULE runs production
    settings: with their secrets it loads them, without it refuses to start."""
    code = [sys.executable, "-c", f"import {entry_point}; from django.conf import settings; "
            "print(settings.SETTINGS_MODULE, settings.DEBUG)"]
    result = subprocess.run(code, cwd=ROOT, env=_clean_env(**PROD_ENV), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["config.settings.production", "False"]
    bare = subprocess.run(code, cwd=ROOT, env=_clean_env(), capture_output=True, text=True, timeout=60)
    assert bare.returncode != 0
    assert "ImproperlyConfigured" in bare.stderr


def test_manage_py_keeps_local_settings_for_developers():
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", "from django.conf import settings; "
                             "print(settings.SETTINGS_MODULE)"], cwd=ROOT, env=_clean_env(), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("config.settings.local")


def test_production_logs_one_redacted_json_object_per_line():
    code = (
        "import logging; "
        "logging.getLogger('payments').warning('payout to card 4111111111111111 failed'); "
        "logging.getLogger('payments').info('done')"
    )
    result = _run(code, "config.settings.production", **PROD_ENV)
    assert result.returncode == 0, result.stderr
    import json

    lines = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert [(e["level"], e["logger"]) for e in lines] == [("WARNING", "payments"), ("INFO", "payments")]
    assert "4111111111111111" not in result.stderr and "payout to card" in lines[0]["message"]
    assert {"time", "process"} <= set(lines[0])
