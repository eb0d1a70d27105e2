"""The summary bench/run_all.py prints: one row per figure, each measured against the
baseline of the same run, with its ratio, the issue's target and whether it is met.

Pure functions over the ``RESULT {json}`` each script prints (standard library only, so
the test suite checks them without running a benchmark)."""

from __future__ import annotations

import operator
from dataclasses import dataclass

FULL_SIZE = 1_000_000  # the size the pages and export targets are stated at

_OPS = {">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le, "==": operator.eq}
MET, NOT_MET, NO_TARGET, NO_FIGURE, CRASHED = "met", "not met", "-", "no figure", "crashed"


@dataclass(frozen=True)
class Target:
    """``on`` "measured": the measured value against ``value``; "ratio": measured / baseline."""

    op: str
    value: float
    on: str = "measured"
    text: str = ""

    def __post_init__(self) -> None:
        if self.op not in _OPS or self.on not in ("measured", "ratio"):
            raise ValueError(f"bad target {self.op!r} on {self.on!r}")

    def met(self, *, measured: float | None, ratio: float | None) -> bool | None:
        value = ratio if self.on == "ratio" else measured
        return None if value is None else _OPS[self.op](value, self.value)

    def describe(self, unit: str = "") -> str:
        if self.text:
            return self.text
        if self.on == "ratio":
            return f"ratio {self.op} {self.value:g}x"
        return f"{self.op} {self.value:g} {unit}".strip()


@dataclass(frozen=True)
class Row:
    benchmark: str
    figure: str
    measured: float | None
    baseline: float | None = None
    unit: str = ""
    baseline_unit: str | None = None  # when the baseline counts something else
    target: Target | None = None
    crashed: str = ""  # why there is no figure (the benchmark's exit, a missing result)

    @property
    def ratio(self) -> float | None:
        if self.measured is None or not self.baseline:
            return None
        return self.measured / self.baseline

    @property
    def verdict(self) -> str:
        if self.crashed:
            return CRASHED
        if self.target is None:
            return NO_TARGET
        met = self.target.met(measured=self.measured, ratio=self.ratio)
        if met is None:
            return NO_FIGURE
        return MET if met else NOT_MET

    def cells(self) -> list[str]:
        ratio = self.ratio
        ratio_text = "" if ratio is None else format_ratio(ratio, self.target)
        return [
            self.benchmark,
            self.figure,
            format_value(self.baseline, self.unit if self.baseline_unit is None else self.baseline_unit),
            self.crashed or format_value(self.measured, self.unit),
            ratio_text,
            self.target.describe(self.unit) if self.target else "",
            self.verdict,
        ]


    def as_dict(self) -> dict:
        """The figures as numbers, and as the table shows them."""
        return {"benchmark": self.benchmark, "figure": self.figure, "baseline": self.baseline,
                "measured": self.measured, "unit": self.unit, "ratio": self.ratio,
                "target": self.target.describe(self.unit) if self.target else None, "verdict": self.verdict,
                "crashed": self.crashed or None, "shown": dict(zip(HEADER, self.cells(), strict=True))}


HEADER = ["benchmark", "figure", "baseline", "measured", "ratio", "target", "met / not met"]


def format_value(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    if float(value).is_integer() or abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def format_ratio(ratio: float, target: Target | None = None) -> str:
    text = f"{ratio:.2f}x"
    # An equality missed by less than the rounding must not read as the target itself.
    if target and target.on == "ratio" and target.op == "==" and ratio != target.value \
            and f"{target.value:.2f}x" == text:
        text = f"{ratio:.6f}x"
    return text


# -- rows per benchmark, from its RESULT ---------------------------------------------------------------
def _at_size(size: int) -> str:
    return f"{size:,} rows"


def _full_note(size: int) -> str:
    return "" if size >= FULL_SIZE else f" (stated at {FULL_SIZE:,})"


def rows_pages(result: dict) -> list[Row]:
    rows = []
    for page, points in result["pages"].items():
        base, largest = points[0], points[-1]
        for point in points[1:]:
            rows.append(Row("pages", f"{page}: queries at {_at_size(point['size'])} vs {_at_size(base['size'])}",
                            measured=point["queries"], baseline=base["queries"], unit="queries",
                            target=Target("==", 1.0, on="ratio", text="same at every size")))
        is_list = page.startswith("list")
        rows.append(Row("pages", f"{page}: p95 at {_at_size(largest['size'])} vs {_at_size(base['size'])}",
                        measured=largest["p95_ms"], baseline=base["p95_ms"], unit="ms",
                        target=Target("<", 50, text="< 50 ms" + _full_note(largest["size"])) if is_list else None))
    return rows


def rows_export(result: dict) -> list[Row]:
    exports = result["exports"]
    largest = exports[-1]
    size = largest["size"]
    rows = [Row("export", f"CSV export peak RSS at {_at_size(size)} vs RSS before the request",
                measured=largest["rss_peak_mb"], baseline=largest["rss_before_mb"], unit="MB",
                target=Target("<", 100, text="< 100 MB" + _full_note(size)))]
    if largest["seconds"] > 0:  # context: no target, and no baseline (small sizes are all overhead)
        rows.append(Row("export", f"CSV export rows/s at {_at_size(size)}",
                        measured=largest["rows"] / largest["seconds"], unit="rows/s"))
    return rows


def rows_callbacks(result: dict) -> list[Row]:
    bare, callback, applied = result["bare"], result["callback"], result.get("applied") or {}
    rows = [
        Row("callbacks", "callback URL vs bare view, same gunicorn: req/s", measured=callback["rps"],
            baseline=bare["rps"], unit="req/s", target=Target(">=", 0.60, on="ratio", text=">= 60% of bare (0.60x)")),
        Row("callbacks", "callback URL vs bare view: p99 latency", measured=callback["p99"], baseline=bare["p99"],
            unit="ms"),
    ]
    if applied:
        rows += [
            Row("callbacks", "deliveries recorded (sum of times_received) vs sent",
                measured=applied["deliveries_counted"], baseline=applied["expected_deliveries"], unit="",
                target=Target("==", 1.0, on="ratio", text="all, once")),
            Row("callbacks", "most claims of one stored event by the workers", measured=applied["max_attempts"],
                target=Target("==", 1, text="1 (none applied twice)")),
            Row("callbacks", "real payouts called back: succeeded after the worker",
                measured=applied["succeeded_payouts"],
                baseline=result.get("real_payouts"), target=Target("==", 1.0, on="ratio", text="all")),
            Row("callbacks", "most callback events on one payout",
                measured=max(applied["callback_events_per_payout"], default=None), target=Target("==", 1, text="1")),
        ]
    return rows


def rows_sync(result: dict) -> list[Row]:
    count = result["transactions"]
    one_at_a_time_ms = sum(result["one_at_a_time_ms"]) / len(result["one_at_a_time_ms"])
    return [
        Row("sync", f"{count:,} payouts, {result['latency_ms']:g} ms a call: concurrent vs one call at a time",
            measured=count / result["wall_s"], baseline=1000 / one_at_a_time_ms, unit="tx/s",
            target=Target(">=", 10, on="ratio", text=">= 10x")),
        Row("sync", "upstream calls vs transactions", measured=result["upstream_calls"], baseline=count,
            unit="calls", baseline_unit="tx", target=Target("==", 1.0, on="ratio", text="1.00 per transaction")),
    ]


def rows_client(result: dict) -> list[Row]:
    pooled, new = result["pooled"], result["new_connection"]
    return [
        Row("client", f"pooled session vs new connection per call ({result['calls']:,} calls): calls/s",
            measured=pooled["calls_per_s"], baseline=new["calls_per_s"], unit="calls/s",
            target=Target(">", 1.0, on="ratio", text="pooled faster (> 1.00x)")),
        Row("client", "pooled session vs new connection per call: p50 latency", measured=pooled["p50_ms"],
            baseline=new["p50_ms"], unit="ms"),
    ]


ROWS = {"pages": rows_pages, "export": rows_export, "callbacks": rows_callbacks, "sync": rows_sync,
        "client": rows_client}


def rows_for(name: str, result: dict | None, *, failure: str = "") -> list[Row]:
    """The rows of one benchmark; one "crashed" row when it gave no result or its result
    does not read."""
    if failure or result is None:
        return [Row(name, "(no result)", None, crashed=failure or "no RESULT line")]
    try:
        return ROWS[name](result)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError) as error:
        return [Row(name, "(unreadable result)", None, crashed=f"{type(error).__name__}: {error}")]


# -- output ---------------------------------------------------------------------------------------------
def text_table(rows: list[Row]) -> str:
    lines = [HEADER, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    right = {2, 3, 4}
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                             for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in rows:
        cells = r.cells()
        cells[-1] = {MET: "met", NOT_MET: "**not met**", CRASHED: "**crashed**"}.get(cells[-1], cells[-1])
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def counts(rows: list[Row]) -> dict[str, int]:
    tally = {MET: 0, NOT_MET: 0, NO_TARGET: 0, NO_FIGURE: 0, CRASHED: 0}
    for r in rows:
        tally[r.verdict] += 1
    return tally
