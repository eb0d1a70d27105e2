"""Shared start-up for the benchmark scripts: Django on the bench database, a signed-in
test Client for one bench merchant."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
# Keep the connection between requests, as a pooled production server does.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from accounts.middleware import SESSION_KEY  # noqa: E402
from accounts.models import Merchant, User  # noqa: E402

SIZES = [10, 10_000, 1_000_000]


def require_postgres() -> None:
    setup_test_environment()  # the test Client's hosts and template signals
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://... and run bench/seed.py")


def bench_client(*, size: int) -> tuple[Client, Merchant]:
    merchant = Merchant.objects.get(slug=f"bench-{size}")
    client = Client()
    client.force_login(User.objects.get(username="bench-owner"))
    session = client.session
    session[SESSION_KEY] = merchant.pk
    session.save()
    return client, merchant
