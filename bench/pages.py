"""SQL queries per page and p95 latency, for the home sections and the transaction list,
at each seeded size (bench/seed.py first).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paydesk_bench \
        /work/main/.venv/bin/python bench/pages.py [sizes...]

The list is measured through the real view (Django test Client: middleware, session,
template) on its first page and on a deep page reached by cursor (90% of the way down).
Connections are kept between requests (``DATABASE_CONN_MAX_AGE=60``, as behind a pool in
production), so a figure is the page, not PostgreSQL's connection start-up. The home
figures are ``home_context`` plus the partial's rendering: the home view itself
is another engineer's file. Ratios are against the smallest size of the same run.
"""

from __future__ import annotations

import statistics
import sys
import time

from _procs import result
from _setup import SIZES, bench_client, require_postgres
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Membership
from payments.models import Transaction
from payments.selectors import cursor_encode, home_context

RUNS = 50
WARMUP = 5


def measure(call) -> tuple[int, float, float]:
    """(queries of one call, median ms, p95 ms) over RUNS calls after a warm-up."""
    for _ in range(WARMUP):
        call()
    # Counted with an execute wrapper: the request's own reset_queries() would empty a
    # CaptureQueriesContext.
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)):
        call()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return len(queries), statistics.median(times), times[int(0.95 * len(times)) - 1]


def cases(size: int) -> dict:
    client, merchant = bench_client(size=size)
    membership = Membership.objects.get(merchant=merchant, user__username="bench-owner")
    deep_row = Transaction.objects.filter(merchant=merchant).order_by("-created_at", "-id")[int((size - 1) * 0.9)]
    deep = cursor_encode(deep_row)
    url = reverse("payments:transaction-list")

    def get(params, rows=True):
        def call():
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code
            assert not rows or b'data-testid="tx-' in response.content, params
        return call

    def home():
        render_to_string("payments/_home.html", {**home_context(merchant=merchant), "current_membership": membership})

    return {
        "home (context + partial)": home,
        "list, first page": get({}),
        "list, deep page (cursor at 90%)": get({"after": deep}),
        "list, status=failed provider=vospay": get({"status": "failed", "provider": "vospay"}, rows=False),
        "list, search by reference": get({"q": deep_row.reference}),
    }


def main(sizes: list[int]) -> None:
    require_postgres()
    results: dict[str, list[tuple[int, int, float, float]]] = {}
    for size in sizes:
        for name, call in cases(size).items():
            results.setdefault(name, []).append((size, *measure(call)))
    print(f"{'page':40} {'rows':>10} {'queries':>8} {'median ms':>10} {'p95 ms':>8} {'p95 ratio':>10}")
    for name, rows in results.items():
        base = rows[0][3]
        for size, queries, median, p95 in rows:
            print(f"{name:40} {size:>10,} {queries:>8} {median:>10.1f} {p95:>8.1f} {p95 / base:>9.2f}x")
    result({"sizes": sizes, "pages": {name: [{"size": size, "queries": queries, "median_ms": median, "p95_ms": p95}
                                             for size, queries, median, p95 in rows]
                                      for name, rows in results.items()}})


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or SIZES)
