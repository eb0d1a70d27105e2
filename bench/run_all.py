#!/usr/bin/env python3
"""Every benchmark in one command: set up, run each against its baseline in the same run,
print one summary table and write it as Markdown.

    bench/run_all.py                      # or: make bench
    bench/run_all.py --full               # pages and export at 10, 10,000 and 1,000,000 rows
    bench/run_all.py pages export         # a subset, by name
    bench/run_all.py --sizes 10,1000 --callbacks 1000 --sync 500 --client 200   # a quick check

What it sets up itself: its own bench database, paydesk_bench_all (created if missing,
migrated, the sizes seeded with bench/seed.py; a size already seeded is kept), the callback
bench's own database, paydesk_bench_all_cb (bench/callbacks.py recreates it), and Redis
db 13 as the scripts use it (flushed by bench/callbacks.py, purged by bench/sync.py): not
the databases of a hand-run bench/callbacks.py or bench/sync.py, but the same Redis db
unless --broker-url says otherwise. Each script runs as documented in
bench/README.md, in its own process, its output shown and kept in bench/results/logs/;
its figures come back as the ``RESULT {json}`` line it prints last. The summary goes to
bench/results/latest.md (and latest.json) with the date, the machine and its load.

The exit status is 1 when a benchmark crashed (or its setup failed, or it timed out),
0 otherwise: a missed target is reported in the table, not as a failure.

Standard library only: the scripts themselves run under the project's virtualenv
(``.venv/bin/python``, or this interpreter when there is none).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

if __package__:  # imported as bench.run_all, by the tests
    from bench import _summary
    from bench._procs import RESULT_PREFIX
else:
    import _summary
    from _procs import RESULT_PREFIX

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BENCHMARKS = ["pages", "export", "callbacks", "sync", "client"]
NEEDS_SEED = {"pages", "export"}
NEEDS_DATABASE = {"pages", "export", "sync"}
DEFAULT_SIZES = [10, 100_000]
FULL_SIZES = [10, 10_000, 1_000_000]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/paydesk_bench_all"
DEFAULT_CALLBACKS_DATABASE = "postgres://postgres@127.0.0.1:5432/paydesk_bench_all_cb"
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"

# Creates the database when it is missing; prints the server's version. Run by the venv's
# interpreter (psycopg), the URL as its argument.
_CREATE_DATABASE = """
import sys
from urllib.parse import urlsplit
import psycopg
parts = urlsplit(sys.argv[1])
name = parts.path.lstrip("/")
with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as db:
    if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        db.execute('CREATE DATABASE "%s"' % name.replace('"', '""'))
        print("created", name)
    print("PostgreSQL", db.execute("SHOW server_version").fetchone()[0])
"""


@dataclass
class Outcome:
    name: str
    command: list[str]
    log: Path
    rc: int | None = None
    seconds: float = 0.0
    result: dict | None = None
    failure: str = ""
    display: str = ""  # what to show instead of the command
    output: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.failure or "ok"


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run_all.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="BENCHMARK",
                        help=f"which to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--full", action="store_true",
                        help=f"pages and export at {', '.join(f'{s:,}' for s in FULL_SIZES)} rows, "
                             "the size the targets are stated at")
    parser.add_argument("--sizes", help="pages and export sizes, comma-separated (default "
                        f"{','.join(map(str, DEFAULT_SIZES))}); the smallest is the baseline")
    parser.add_argument("--callbacks", type=int, default=10_000, metavar="N", help="callback deliveries (10,000)")
    parser.add_argument("--sync", type=int, default=10_000, metavar="N", help="payouts to sync (10,000)")
    parser.add_argument("--client", type=int, default=2_000, metavar="N", help="client calls each way (2,000)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE,
                        help="the database of pages, export and sync (created if missing, kept; default %(default)s)")
    parser.add_argument("--callbacks-database-url", default=DEFAULT_CALLBACKS_DATABASE,
                        help="bench/callbacks.py's own database, RECREATED by it (default %(default)s)")
    parser.add_argument("--broker-url", default=DEFAULT_BROKER,
                        help="Redis for Celery: flushed by callbacks, purged by sync (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=1800, metavar="SECONDS",
                        help="per benchmark; past it the benchmark is interrupted and counted as crashed")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.md",
                        help="the Markdown summary (a .json beside it; logs in logs/ beside it)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
    args.names = [n for n in BENCHMARKS if n in args.names] if args.names else list(BENCHMARKS)
    if args.sizes:
        try:
            args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
        except ValueError:
            parser.error("--sizes takes whole numbers, comma-separated")
    else:
        args.sizes = FULL_SIZES if args.full else DEFAULT_SIZES
    if len(args.sizes) < 2 or args.sizes[0] < 1:
        parser.error("--sizes needs at least two positive sizes (the smallest is the baseline)")
    if args.database_url.rstrip("/") == args.callbacks_database_url.rstrip("/"):
        parser.error("the callback bench recreates its database: give it another than --database-url")
    return args


# -- the machine ----------------------------------------------------------------------------------------
def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,  # noqa: S603, S607
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": git("rev-parse", "--short", "HEAD"),
        "commit_subject": git("log", "-1", "--format=%s"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "uncommitted_changes": bool(dirty),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- running a script -----------------------------------------------------------------------------------
def run(outcome: Outcome, env: dict, timeout: float) -> Outcome:
    """Run the command, show and log its output, keep its last RESULT line."""
    outcome.log.parent.mkdir(parents=True, exist_ok=True)
    shown = outcome.display or " ".join(relative(Path(c)) if c.startswith("/") else c for c in outcome.command)
    print(f"\n==> {outcome.name}: {shown}", flush=True)
    started = time.perf_counter()
    with outcome.log.open("w") as log:
        log.write(f"$ {shown}\n")
        proc = subprocess.Popen(outcome.command, cwd=ROOT, env=env, stdout=subprocess.PIPE,  # noqa: S603
                                stderr=subprocess.STDOUT, text=True, bufsize=1)

        def pump() -> None:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                line = line.rstrip("\n")
                outcome.output.append(line)
                if line.startswith(RESULT_PREFIX):
                    try:
                        outcome.result = json.loads(line[len(RESULT_PREFIX):])
                    except ValueError as error:
                        outcome.failure = f"unreadable RESULT line ({error})"
                    print(f"[{outcome.name}] (result collected)", flush=True)
                else:
                    print(f"[{outcome.name}] {line}", flush=True)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            outcome.rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            outcome.failure = f"timed out after {timeout:.0f} s"
            interrupt(proc)
            outcome.rc = proc.returncode
        except KeyboardInterrupt:
            # Ctrl-C reached the script too (same process group): give it time to clean up.
            interrupt(proc, grace=60)
            raise
        finally:
            reader.join(timeout=10)
    outcome.seconds = time.perf_counter() - started
    if not outcome.failure and outcome.rc != 0:
        outcome.failure = f"exit {outcome.rc}"
    if not outcome.failure and outcome.result is None and outcome.name in BENCHMARKS:
        outcome.failure = "no RESULT line"
    print(f"==> {outcome.name}: {outcome.status} in {outcome.seconds:.0f} s", flush=True)
    return outcome


def interrupt(proc: subprocess.Popen, *, grace: float = 0) -> None:
    """SIGINT (after ``grace`` seconds), so that the script's own clean-up stops its
    sandbox, workers and gunicorn; SIGKILL a minute later if it is still there."""
    for signum in (None, signal.SIGINT, signal.SIGKILL):
        if proc.poll() is not None:
            return
        if signum is not None:
            proc.send_signal(signum)
        try:
            proc.wait(timeout=grace if signum is None else 60)
            return
        except subprocess.TimeoutExpired:
            continue


def environment(args: argparse.Namespace) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",  # as the scripts default to
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker_url,
        "BENCH_DATABASE_URL": args.callbacks_database_url,  # bench/callbacks.py's own
        "BENCH_BROKER_URL": args.broker_url,
        "PYTHONUNBUFFERED": "1",
    }


def commands(args: argparse.Namespace) -> dict[str, tuple[list[str], dict]]:
    py, sizes = python(), [str(s) for s in args.sizes]
    return {
        "pages": ([py, "bench/pages.py", *sizes], {}),
        "export": ([py, "bench/export.py", *sizes], {}),
        "callbacks": ([py, "bench/callbacks.py", str(args.callbacks)], {}),
        # As documented in bench/README.md.
        "sync": ([py, "bench/sync.py", str(args.sync), "--workers", "1", "--concurrency", "4"],
                 {"LOG_LEVEL": "WARNING"}),
        "client": ([py, "bench/client.py", str(args.client)], {}),
    }


def setup(args: argparse.Namespace, env: dict, logs: Path) -> tuple[list[Outcome], dict[str, str]]:
    """The bench database created and migrated (pages, export, sync) and seeded (pages,
    export). Returns the steps and, for each benchmark a failed step leaves without what
    it needs, why."""
    wanted = set(args.names)
    if not wanted & NEEDS_DATABASE:
        return [], {}
    py = python()
    steps = [(Outcome("setup: database", [py, "-c", _CREATE_DATABASE, args.database_url], logs / "setup-database.log",
                      display=f"create the database if missing: {args.database_url}"), NEEDS_DATABASE),
             (Outcome("setup: migrate", [py, "manage.py", "migrate", "-v0"], logs / "setup-migrate.log"),
              NEEDS_DATABASE)]
    if wanted & NEEDS_SEED:
        steps.append((Outcome("setup: seed", [py, "bench/seed.py", *map(str, args.sizes)], logs / "setup-seed.log"),
                      NEEDS_SEED))
    done = []
    for step, needed_by in steps:
        done.append(run(step, env, args.timeout))
        if step.failure:
            return done, {name: f"{step.name} failed ({step.failure})" for name in needed_by}
    return done, {}


# -- the summary ----------------------------------------------------------------------------------------
def postgres_version(steps: list[Outcome]) -> str:
    for step in steps:
        for line in step.output:
            if line.startswith("PostgreSQL "):
                return line
    return ""


def describe_run(args: argparse.Namespace) -> list[str]:
    parts = []
    if NEEDS_SEED & set(args.names):
        parts.append(f"pages and export at {' and '.join(f'{s:,}' for s in args.sizes)} rows "
                     f"(baseline: {args.sizes[0]:,})")
    if "callbacks" in args.names:
        parts.append(f"callbacks: {args.callbacks:,} deliveries")
    if "sync" in args.names:
        parts.append(f"sync: {args.sync:,} payouts")
    if "client" in args.names:
        parts.append(f"client: {args.client:,} calls each way")
    return parts


def markdown(*, info: dict, rows: list[_summary.Row], outcomes: list[Outcome], args: argparse.Namespace,
             command: str) -> str:
    m = info["machine"]
    tally = _summary.counts(rows)
    lines = [
        "# Benchmarks: latest run (bench/run_all.py)",
        "",
        f"- date (UTC): {info['started']} to {info['finished']} ({info['wall_s'] / 60:.1f} min wall)",
        f"- command: `{command}`",
        f"- machine: {m['nproc']} CPUs (nproc), {m['cpu']}, {m['ram_gib']} GiB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}" + (f", {info['postgres']}" if info.get("postgres") else ""),
        f"- load average (1, 5, 15 min): {' / '.join(map(str, info['load_start']))} at the start, "
        f"{' / '.join(map(str, info['load_end']))} at the end",
        f"- git commit: `{m['commit']}` on `{m['branch']}` ({shorten(m['commit_subject'], 90)})"
        + (" with uncommitted changes" if m["uncommitted_changes"] else ""),
        f"- run: {'; '.join(describe_run(args))}",
        "",
        _summary.markdown_table(rows),
        "",
        f"{tally[_summary.MET]} met, {tally[_summary.NOT_MET]} not met, {tally[_summary.CRASHED]} crashed, "
        f"{tally[_summary.NO_TARGET]} without a target (shown for context)."
        + (f" {tally[_summary.NO_FIGURE]} without a figure." if tally[_summary.NO_FIGURE] else ""),
    ]
    if NEEDS_SEED & set(args.names) and args.sizes[-1] < _summary.FULL_SIZE:
        lines += ["", f"The pages and export targets are stated at {_summary.FULL_SIZE:,} rows; this run's largest "
                  f"size is {args.sizes[-1]:,}, so they are checked there (`--full` measures them at "
                  f"{_summary.FULL_SIZE:,})."]
    lines += ["", "| step | status | seconds | log |", "|---|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.name} | {o.status} | {o.seconds:.0f} | `{relative(o.log)}` |")
    return "\n".join(lines) + "\n"


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def relative(path: Path) -> str:
    try:
        return str(Path(os.path.abspath(path)).relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    command = " ".join(["bench/run_all.py", *argv])
    out: Path = args.out
    logs = out.parent / "logs"
    info = {"started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"), "load_start": load(), "machine": machine()}
    print(f"bench/run_all.py: {', '.join(args.names)}; {'; '.join(describe_run(args))}")
    print(f"load average at the start: {' / '.join(map(str, info['load_start']))} on {info['machine']['nproc']} CPUs")
    started = time.perf_counter()
    env = environment(args)
    steps, setup_failures = setup(args, env, logs)
    outcomes: list[Outcome] = list(steps)
    rows: list[_summary.Row] = []
    for name, (cmd, extra) in commands(args).items():
        if name not in args.names:
            continue
        outcome = Outcome(name, cmd, logs / f"{name}.log")
        if name in setup_failures:
            outcome.failure = f"not run: {setup_failures[name]}"
        else:
            run(outcome, {**env, **extra}, args.timeout)
        outcomes.append(outcome)
        rows += _summary.rows_for(name, outcome.result, failure=outcome.failure)
    info.update(finished=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"), load_end=load(),
                wall_s=time.perf_counter() - started, postgres=postgres_version(steps))

    text = markdown(info=info, rows=rows, outcomes=outcomes, args=args, command=command)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({
        "info": info, "command": command,
        "rows": [r.as_dict() for r in rows],
        "steps": [{"name": o.name, "status": o.status, "seconds": round(o.seconds, 1), "log": relative(o.log)}
                  for o in outcomes],
        "results": {o.name: o.result for o in outcomes if o.name in BENCHMARKS},
    }, indent=1, default=str) + "\n")

    print("\n" + "=" * 100)
    print(f"Summary, {info['started']} UTC, {info['wall_s'] / 60:.1f} min; load average "
          f"{' / '.join(map(str, info['load_start']))} -> {' / '.join(map(str, info['load_end']))} "
          f"on {info['machine']['nproc']} CPUs, commit {info['machine']['commit']}")
    print(_summary.text_table(rows))
    for o in outcomes:
        print(f"  {o.name:18} {o.status:40} {o.seconds:6.0f} s   {relative(o.log)}")
    print(f"Written: {relative(out)} and {relative(out.with_suffix('.json'))}")
    crashed = [o.name for o in outcomes if o.failure]
    if crashed:
        print(f"CRASHED: {', '.join(crashed)} (see the logs)")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
