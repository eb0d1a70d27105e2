"""CSV export at each seeded size: peak RSS of the process and rows per second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paydesk_bench \
        /work/main/.venv/bin/python bench/export.py [sizes...]

Each size runs in a fresh subprocess (peak RSS, ``resource.getrusage``, never goes down,
so one process per figure), through the real view with the Django test Client, reading
the stream chunk by chunk as a browser download would. The RSS before the request
(Django loaded, signed in) is printed too: the export's own cost is the difference.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _procs import result

HERE = Path(__file__).resolve().parent


def child(size: int) -> None:
    import resource
    import time

    from _setup import bench_client, require_postgres
    from django.urls import reverse

    require_postgres()
    client, _ = bench_client(size=size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get(reverse("payments:transaction-export"))
    lines = total = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        total += len(chunk)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"size": size, "rows": lines - 1, "mb": total / 1e6, "seconds": elapsed,
                      "rss_before_mb": before / 1024, "rss_peak_mb": peak / 1024}))


def main(sizes: list[int]) -> None:
    results = []
    for size in sizes:
        out = subprocess.run(  # noqa: S603 - our own script, our own arguments
            [sys.executable, "-W", "ignore", str(HERE / "export.py"), "--child", str(size)],
            check=True, capture_output=True, text=True, cwd=HERE,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    base = results[0]
    print(f"{'rows':>10} {'CSV MB':>8} {'seconds':>8} {'rows/s':>9} "
          f"{'RSS before':>11} {'RSS peak':>9} {'peak ratio':>11}")
    for r in results:
        print(f"{r['rows']:>10,} {r['mb']:>8.1f} {r['seconds']:>8.1f} {r['rows'] / r['seconds']:>9,.0f} "
              f"{r['rss_before_mb']:>9.0f}MB {r['rss_peak_mb']:>7.0f}MB "
              f"{r['rss_peak_mb'] / base['rss_peak_mb']:>10.2f}x")
    result({"sizes": sizes, "exports": results})


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]))
    else:
        main([int(a) for a in sys.argv[1:]] or [10, 10_000, 1_000_000])
