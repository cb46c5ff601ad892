"""python -m bench [names...] [--seconds N] [--json out.json] [--database sqlite|postgres] ...

Runs the named benches (default: all), prints each one's table, and writes every figure to a JSON
file under var/bench/ (and to --json when given). A figure below its target is reported, never
turned into a failing exit status: only a bench that could not run at all exits non-zero.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.harness import BENCH_VAR, ROOT, BenchError, Harness, Options, Report, discover, ratio


def parse_args(argv: list[str], names: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("names", nargs="*", metavar="name", help=f"benches to run (default all: {', '.join(names)})")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per target (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved slices per target (default 3)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite", help="our server's database")
    parser.add_argument("--auth", choices=("open", "strict"), default="open", help="our server's auth mode")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results JSON here")
    parser.add_argument("--list", action="store_true", help="list the benches and exit")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in names]
    if unknown:
        parser.error(f"no bench named {', '.join(unknown)}; there are: {', '.join(names)}")
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be more than 0 and at most 600")
    if not 1 <= args.rounds <= 100:
        parser.error("--rounds must be between 1 and 100")
    return args


def main(argv: list[str] | None = None) -> int:
    benches = discover()
    args = parse_args(sys.argv[1:] if argv is None else argv, list(benches))
    if args.list:
        for name, entry in benches.items():
            print(f"{name:12} {entry.summary}")
        return 0
    options = Options(seconds=args.seconds, rounds=args.rounds, database=args.database, auth=args.auth)
    started = dt.datetime.now(dt.UTC)
    reports: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    with Harness(options) as harness:
        for name in args.names or list(benches):
            print(f"running {name} ...", flush=True)
            try:
                report = benches[name].run(harness, options)
            except Exception as exc:  # one broken bench must not hide the others' figures
                failures[name] = f"{type(exc).__name__}: {exc}"
                print(f"{name} could not run: {failures[name]}", file=sys.stderr)
                if not isinstance(exc, BenchError):
                    traceback.print_exc()
                continue
            reports[name] = report.as_dict()
            print(render(report), flush=True)
        results = {
            "run_id": harness.run_id,
            "started_at": started.isoformat(),
            "options": asdict(options),
            "machine": _machine(),
            "benches": reports,
            "failures": failures,
            "logs": str(harness.run_dir),
        }
    path = BENCH_VAR / f"results-{started:%Y%m%d-%H%M%S}-{options.database}-{harness.run_id}.json"
    for target in [path, *([args.json] if args.json else [])]:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"results: {path.relative_to(ROOT)}" + (f" and {args.json}" if args.json else ""))
    return 1 if failures else 0


def render(report: Report) -> str:
    """The report as a plain-text table: one column per target, then each row's ratios."""
    # A ratio labelled "a/b ..." of two of the columns gets a column of its own (once).
    pairs = [headline.label.split(" ", 1)[0].split("/", 1) for headline in report.ratios]
    pairs = [pair for pair in pairs if len(pair) == 2 and all(side in report.columns for side in pair)]
    pairs = [pair for index, pair in enumerate(pairs) if pair not in pairs[:index]]
    header = ["", *report.columns, *(f"{a}/{b}" for a, b in pairs)]
    lines = [
        [
            label,
            *(_number(values.get(column)) for column in report.columns),
            *(_number(ratio(values.get(a), values.get(b)), ratio=True) for a, b in pairs),
        ]
        for label, values in report.rows.items()
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    out = [report.title, ""]
    for row in [header, *lines]:
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        out.append("  " + "  ".join(cells).rstrip())
    out.append("")
    for headline in report.ratios:
        target = f"target >= {headline.target:g}" if headline.target is not None else ""
        value = _number(headline.value, ratio=True)
        out.append(f"  {headline.label:14} {value:>6}  {target:16} {headline.verdict}".rstrip())
    out += [f"  note: {note}" for note in report.notes]
    return "\n".join(out) + "\n"


def _number(value: float | None, *, ratio: bool = False) -> str:
    if value is None:
        return "n/a"
    if ratio:
        return f"{value:.2f}"
    if isinstance(value, int):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "git_commit": commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else ""),
    }


if __name__ == "__main__":
    raise SystemExit(main())
