"""bench/run_all.py's summary: ratios against the baseline, targets met or not, a crash
reported as such. Pure functions over made-up results: no benchmark runs here."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench import _summary, run_all
from bench._summary import CRASHED, MET, NO_TARGET, NOT_MET, Row, Target


def pages_result(*, sizes=(10, 100_000), queries=(4, 4), p95=(20.0, 40.0)) -> dict:
    return {"sizes": list(sizes), "pages": {
        "home (context + partial)": [{"size": s, "queries": 5, "median_ms": 10.0, "p95_ms": 300.0 * (i + 1)}
                                     for i, s in enumerate(sizes)],
        "list, first page": [{"size": s, "queries": q, "median_ms": p / 2, "p95_ms": p}
                             for s, q, p in zip(sizes, queries, p95, strict=True)],
    }}


def callbacks_result(*, bare=700.0, callback=300.0, applied=True) -> dict:
    return {"deliveries": 1000, "real_payouts": 45,
            "bare": {"rps": bare, "p50": 5.0, "p99": 50.0},
            "callback": {"rps": callback, "p50": 9.0, "p99": 90.0},
            "applied": {"stored_events": 900, "deliveries_counted": 1000, "expected_deliveries": 1000,
                        "max_attempts": 1, "succeeded_payouts": 45, "callback_events_per_payout": [1]}
            if applied else {}}


def sync_result(*, count=10_000, wall=40.0, per_call_ms=(25.0, 35.0), calls=10_000) -> dict:
    return {"transactions": count, "latency_ms": 20.0, "one_at_a_time_ms": list(per_call_ms),
            "bound_s": sum(per_call_ms) / 2 / 1000 * count, "wall_s": wall, "upstream_calls": calls}


def by_figure(rows: list[Row], words: str) -> Row:
    (row,) = [r for r in rows if words in r.figure]
    return row


# -- targets and ratios -------------------------------------------------------------------------------
@pytest.mark.parametrize(("target", "measured", "ratio", "met"), [
    (Target(">=", 0.6, on="ratio"), 300, 0.6, True),  # the boundary counts
    (Target(">=", 0.6, on="ratio"), 300, 0.59, False),
    (Target(">", 1.0, on="ratio"), 300, 1.0, False),
    (Target("<", 50), 49.9, None, True),
    (Target("<", 50), 50.0, None, False),
    (Target("==", 1.0, on="ratio"), 5, 1.0, True),
    (Target("==", 1.0, on="ratio"), 6, 1.2, False),
    (Target("<", 50), None, None, None),  # no figure: neither met nor missed
])
def test_target_compares_the_measured_value_or_the_ratio(target, measured, ratio, met):
    assert target.met(measured=measured, ratio=ratio) is met


def test_a_bad_target_is_refused():
    with pytest.raises(ValueError):
        Target("~", 1.0)


def test_ratio_is_measured_over_baseline_and_absent_without_a_baseline():
    assert Row("x", "f", measured=30, baseline=60).ratio == 0.5
    assert Row("x", "f", measured=30).ratio is None
    assert Row("x", "f", measured=30, baseline=0).ratio is None
    assert Row("x", "f", measured=None, baseline=60).ratio is None


def test_verdicts():
    assert Row("x", "f", measured=40, target=Target("<", 50)).verdict == MET
    assert Row("x", "f", measured=60, target=Target("<", 50)).verdict == NOT_MET
    assert Row("x", "f", measured=60).verdict == NO_TARGET
    assert Row("x", "f", measured=None, crashed="exit 1", target=Target("<", 50)).verdict == CRASHED


def test_an_equality_missed_by_less_than_the_rounding_does_not_read_as_met():
    row = Row("sync", "calls", measured=10_001, baseline=10_000, target=Target("==", 1.0, on="ratio"))
    assert row.verdict == NOT_MET
    assert row.cells()[4] == "1.000100x"
    assert Row("sync", "calls", measured=10_000, baseline=10_000,
               target=Target("==", 1.0, on="ratio")).cells()[4] == "1.00x"


def test_values_are_shown_with_their_unit():
    assert _summary.format_value(5, "queries") == "5 queries"
    assert _summary.format_value(0, "") == "0"
    assert _summary.format_value(1234.5, "req/s") == "1,234 req/s"  # no decimals past 100
    assert _summary.format_value(46.84, "ms") == "46.8 ms"
    assert _summary.format_value(2.951, "ms") == "2.95 ms"
    assert _summary.format_value(None, "ms") == ""


# -- rows of each benchmark ---------------------------------------------------------------------------
def test_pages_queries_must_be_the_same_at_every_size():
    rows = _summary.rows_pages(pages_result(sizes=(10, 10_000, 1_000_000), queries=(4, 4, 5),
                                            p95=(20.0, 30.0, 40.0)))
    assert by_figure(rows, "list, first page: queries at 10,000 rows").verdict == MET
    grown = by_figure(rows, "list, first page: queries at 1,000,000 rows")
    assert (grown.baseline, grown.measured, grown.verdict) == (4, 5, NOT_MET)


def test_pages_p95_target_is_the_lists_at_the_largest_size_home_is_context():
    rows = _summary.rows_pages(pages_result(p95=(20.0, 60.0)))
    p95 = by_figure(rows, "list, first page: p95")
    assert "100,000 rows vs 10 rows" in p95.figure
    assert (p95.baseline, p95.measured, p95.ratio, p95.verdict) == (20.0, 60.0, 3.0, NOT_MET)
    assert "stated at 1,000,000" in p95.target.describe()  # checked at 100,000 only
    assert by_figure(rows, "home (context + partial): p95").verdict == NO_TARGET
    full = by_figure(_summary.rows_pages(pages_result(sizes=(10, 1_000_000), p95=(20.0, 45.0))),
                     "list, first page: p95")
    assert (full.verdict, full.target.describe()) == (MET, "< 50 ms")


def test_export_peak_rss_against_the_rss_before_the_request():
    exports = [{"size": 10, "rows": 10, "mb": 0.0, "seconds": 0.1, "rss_before_mb": 80.0, "rss_peak_mb": 82.0},
               {"size": 1_000_000, "rows": 1_000_000, "mb": 148.0, "seconds": 40.0, "rss_before_mb": 80.0,
                "rss_peak_mb": 120.0}]
    rss, rate = _summary.rows_export({"sizes": [10, 1_000_000], "exports": exports})
    assert (rss.baseline, rss.measured, rss.ratio, rss.verdict) == (80.0, 120.0, 1.5, NOT_MET)
    assert (rate.measured, rate.verdict) == (25_000, NO_TARGET)


def test_callbacks_ratio_against_the_bare_view():
    rows = _summary.rows_callbacks(callbacks_result(bare=700.0, callback=300.0))
    throughput = rows[0]
    assert (throughput.baseline, throughput.measured, throughput.verdict) == (700.0, 300.0, NOT_MET)
    assert throughput.cells()[4] == "0.43x"
    assert _summary.rows_callbacks(callbacks_result(bare=500.0, callback=300.0))[0].verdict == MET  # 60% exactly
    assert all(r.verdict == MET for r in rows[2:])  # the apply checks
    assert len(_summary.rows_callbacks(callbacks_result(applied=False))) == 2  # BENCH_SKIP_APPLY: no checks


def test_callbacks_applied_twice_is_not_met():
    result = callbacks_result()
    result["applied"].update(max_attempts=2, callback_events_per_payout=[1, 2])
    rows = _summary.rows_callbacks(result)
    assert by_figure(rows, "most claims").verdict == NOT_MET
    assert by_figure(rows, "most callback events").verdict == NOT_MET


def test_sync_speed_up_is_the_bound_over_the_wall_time():
    result = sync_result(wall=40.0, per_call_ms=(25.0, 35.0))  # bound 300 s
    speed, calls = _summary.rows_sync(result)
    assert speed.ratio == pytest.approx(result["bound_s"] / result["wall_s"]) == pytest.approx(7.5)
    assert speed.verdict == NOT_MET
    assert _summary.rows_sync(sync_result(wall=29.0))[0].verdict == MET  # 10.3x
    assert _summary.rows_sync(sync_result(wall=31.0))[0].verdict == NOT_MET  # 9.7x
    assert calls.verdict == MET
    assert _summary.rows_sync(sync_result(calls=10_050))[1].verdict == NOT_MET


def test_client_pooled_must_be_faster():
    result = {"calls": 2000, "pooled": {"calls_per_s": 330.0, "p50_ms": 2.9, "p99_ms": 6.0},
              "new_connection": {"calls_per_s": 250.0, "p50_ms": 3.6, "p99_ms": 9.9}}
    rows = _summary.rows_client(result)
    assert (rows[0].ratio, rows[0].verdict) == (pytest.approx(1.32), MET)
    result["pooled"]["calls_per_s"] = 250.0
    assert _summary.rows_client(result)[0].verdict == NOT_MET


def test_a_crash_or_an_unreadable_result_is_one_crashed_row():
    (row,) = _summary.rows_for("sync", None, failure="exit 1")
    assert (row.verdict, row.crashed) == (CRASHED, "exit 1")
    (row,) = _summary.rows_for("sync", None)
    assert row.crashed == "no RESULT line"
    (row,) = _summary.rows_for("sync", {"transactions": 10})
    assert row.verdict == CRASHED and row.crashed.startswith("KeyError")


# -- the printed table and the Markdown ---------------------------------------------------------------
def test_a_missed_target_prints_not_met():
    rows = _summary.rows_sync(sync_result(wall=40.0)) + _summary.rows_for("client", None, failure="exit 2")
    text = _summary.text_table(rows)
    lines = text.splitlines()
    assert lines[0].split() == ["benchmark", "figure", "baseline", "measured", "ratio", "target", "met", "/", "not",
                                "met"]
    assert lines[2].endswith("not met") and "7.50x" in lines[2] and ">= 10x" in lines[2]
    assert lines[3].endswith("  met")
    assert lines[4].endswith("crashed") and "exit 2" in lines[4]
    md = _summary.markdown_table(rows)
    assert md.splitlines()[0] == "| benchmark | figure | baseline | measured | ratio | target | met / not met |"
    assert md.splitlines()[2].endswith("| **not met** |")
    assert md.splitlines()[4].endswith("| **crashed** |")
    assert _summary.counts(rows) == {MET: 1, NOT_MET: 1, NO_TARGET: 0, "no figure": 0, CRASHED: 1}


def test_markdown_cells_escape_pipes():
    md = _summary.markdown_table([Row("x", "a | b", measured=1)])
    assert "a \\| b" in md


def test_the_summary_file_names_the_date_the_machine_and_the_load(tmp_path):
    args = run_all.parse_args(["sync", "--out", str(tmp_path / "latest.md")])
    info = {"started": "2026-12-02 19:00", "finished": "2026-12-02 19:10", "wall_s": 600.0,
            "load_start": [1.0, 2.0, 3.0], "load_end": [4.0, 5.0, 6.0], "postgres": "PostgreSQL 15.20",
            "machine": {"nproc": 2, "cpu": "AMD EPYC", "ram_gib": 23.5, "kernel": "6.1", "python": "3.11.7",
                        "commit": "abc1234", "branch": "h-bench", "commit_subject": "x" * 200,
                        "uncommitted_changes": False}}
    outcome = run_all.Outcome("sync", ["python", "bench/sync.py"], tmp_path / "logs" / "sync.log", rc=0,
                              seconds=61.0)
    text = run_all.markdown(info=info, rows=_summary.rows_sync(sync_result()), outcomes=[outcome], args=args,
                            command="bench/run_all.py sync")
    assert "2026-12-02 19:00 to 2026-12-02 19:10 (10.0 min wall)" in text
    assert "2 CPUs (nproc), AMD EPYC, 23.5 GiB RAM" in text
    assert "1.0 / 2.0 / 3.0 at the start, 4.0 / 5.0 / 6.0 at the end" in text
    assert "`abc1234`" in text and "x" * 200 not in text
    assert "| sync | ok | 61 |" in text
    assert "stated at 1,000,000" not in text  # no pages or export in this run


# -- the command line ---------------------------------------------------------------------------------
def test_arguments_subset_sizes_and_full():
    assert run_all.parse_args([]).names == run_all.BENCHMARKS
    assert run_all.parse_args(["client", "pages"]).names == ["pages", "client"]  # run in the usual order
    assert run_all.parse_args([]).sizes == [10, 100_000]
    assert run_all.parse_args(["--full"]).sizes == [10, 10_000, 1_000_000]
    assert run_all.parse_args(["--sizes", "1000,10"]).sizes == [10, 1000]


@pytest.mark.parametrize("argv", [
    ["nosuch"],
    ["--sizes", "10"],
    ["--sizes", "ten,20"],
    ["--database-url", "postgres://h/x", "--callbacks-database-url", "postgres://h/x"],
])
def test_arguments_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        run_all.parse_args(argv)
    assert exit_.value.code == 2


def test_each_benchmark_runs_its_script_as_documented():
    commands = run_all.commands(run_all.parse_args(["--sizes", "10,1000", "--sync", "500"]))
    assert set(commands) == set(run_all.BENCHMARKS)
    assert commands["pages"][0][1:] == ["bench/pages.py", "10", "1000"]
    assert commands["sync"][0][1:] == ["bench/sync.py", "500", "--workers", "1", "--concurrency", "4"]
    assert commands["sync"][1] == {"LOG_LEVEL": "WARNING"}
    for argv, _ in commands.values():
        assert Path(run_all.ROOT, argv[1]).exists()


def test_environment_points_every_script_at_the_chosen_services():
    args = argparse.Namespace(database_url="postgres://h/a", callbacks_database_url="postgres://h/b",
                              broker_url="redis://h/9")
    env = run_all.environment(args)
    assert (env["DATABASE_URL"], env["BENCH_DATABASE_URL"]) == ("postgres://h/a", "postgres://h/b")
    assert env["CELERY_BROKER_URL"] == env["BENCH_BROKER_URL"] == "redis://h/9"
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.test"
