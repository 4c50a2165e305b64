"""``python -m bench`` (``make bench``): measure the service against its baselines and write
bench/RESULTS.md. ``--quick`` (``make bench-quick``) is a smoke run of every section in about a
minute and a half, written to bench/out/RESULTS-quick.md.

Options: ``--only accept,bulk`` runs some sections; ``--profile`` samples the server during the
accept benchmark (and a consumer during execution) with py-spy, summaries in bench/out/;
``--output FILE`` writes the report elsewhere; ``--keep`` keeps the temporary databases.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import report
from bench.context import Context, Plan, SectionResult
from bench.procs import OUT, ROOT, BenchError, pin_self, plan_cpus
from bench.sections import accept, bulk, execution, latency, memory, status, versus
from bench.wrk import ensure_wrk

SECTIONS = (accept, bulk, execution, latency, versus, status, memory)
SAVED = OUT / "sections"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    parser.add_argument("--profile", action="store_true", help="py-spy the server under load")
    parser.add_argument(
        "--only", default="", help="comma-separated: " + ",".join(s.KEY for s in SECTIONS)
    )
    parser.add_argument("--output", type=Path, help="report file (default bench/RESULTS.md)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    parser.add_argument(
        "--memory-ops", type=int, help="operations for the memory section (default 1,000,000)"
    )
    return parser.parse_args(argv)


def busy_share(seconds: float = 1.0) -> float:
    """How busy the CPUs are before we start (0..1), from /proc/stat over ``seconds``."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    total_a, idle_a = sample()
    time.sleep(seconds)
    total_b, idle_b = sample()
    total = total_b - total_a
    return 1 - (idle_b - idle_a) / total if total else 0.0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = [s for s in SECTIONS if not args.only or s.KEY in args.only.split(",")]
    if args.only and len(chosen) != len(args.only.split(",")):
        print(f"unknown section in --only {args.only}", file=sys.stderr)
        return 2
    ensure_wrk()
    plan = Plan.smoke() if args.quick else Plan.full()
    if args.memory_ops:
        plan = dataclasses.replace(plan, memory_ops=(plan.memory_ops[0], args.memory_ops))
    output = args.output or (
        OUT / "RESULTS-quick.md" if args.quick else ROOT / "bench" / "RESULTS.md"
    )
    cpus = plan_cpus()
    pin_self(cpus.load)
    synchronous = os.environ.get("COMMERCE_ASYNC_SQLITE_SYNCHRONOUS", "FULL").upper()
    logs = OUT / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    workdir = Path(tempfile.mkdtemp(prefix="commerce-bench-"))
    ctx = Context(plan, cpus, synchronous, workdir, logs, args.profile, OUT)
    started = time.time()
    load_before = report.load_average()
    busy = busy_share()
    if busy > 0.15:
        ctx.notes.append(
            f"note: the machine was not idle: {busy * 100:.0f}% of CPU time was busy in the second "
            "before the run (other work shares these CPUs), so figures are lower and noisier "
            "than on an idle machine."
        )
    command = "make bench-quick" if args.quick else "make bench"
    if args.only or args.profile or args.output:
        command = "python -m bench " + " ".join(a for a in (argv or sys.argv[1:]))
    results: list[SectionResult] = []
    try:
        print(f"benchmark: {'quick' if args.quick else 'full'} run, work in {workdir}", flush=True)
        ctx.notes.append(report.fsync_latency(workdir))
        ctx.install_template()
        for section in chosen:
            print(f"== {section.TITLE}", flush=True)
            begun = time.monotonic()
            load_start = report.load_average().split()[0]
            try:
                outcome = section.run(ctx)
            except (BenchError, Exception) as error:  # report it and go on with the others
                (logs / f"{section.KEY}-error.txt").write_text(traceback.format_exc())
                outcome = SectionResult(section.KEY, section.TITLE, error=_short(error))
            outcome.load = f"{load_start} → {report.load_average().split()[0]}"
            outcome.measured = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            results.append(outcome)
            if not args.quick:
                SAVED.mkdir(parents=True, exist_ok=True)
                (SAVED / f"{section.KEY}.json").write_text(json.dumps(outcome.to_json()))
            for row in outcome.rows:
                target = row.target or "-"
                print(f"   {row.metric}: {row.value} ({row.reference}); {target}: {row.verdict}")
            if outcome.error:
                print(f"   FAILED: {outcome.error}")
            print(f"   ({time.monotonic() - begun:.0f} s, load {outcome.load})", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.only and not args.quick:
        results = _with_saved(results)
    report.write(ctx, output, results, started, load_before, command)
    print()
    print("\n".join(report.summary_table([r for s in results for r in s.rows])))
    print(f"\nwritten {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 1 if any(s.error for s in results) else 0


def _with_saved(results: list[SectionResult]) -> list[SectionResult]:
    """Complete a partial full run with the sections saved by earlier full runs (each keeps its
    own date and load), so one section can be re-measured without redoing the rest."""
    fresh = {result.key: result for result in results}
    merged = []
    for section in SECTIONS:
        if section.KEY in fresh:
            merged.append(fresh[section.KEY])
        elif (SAVED / f"{section.KEY}.json").exists():
            data = json.loads((SAVED / f"{section.KEY}.json").read_text())
            merged.append(SectionResult.from_json(data))
        else:
            missing = "not measured yet: run `python -m bench --only " + section.KEY + "`"
            merged.append(SectionResult(section.KEY, section.TITLE, error=missing))
    return merged


def _short(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    with contextlib.suppress(Exception):
        text = text.strip()
    return text[:1500]


if __name__ == "__main__":
    sys.exit(main())
