"""``--profile``: sample a server with py-spy while it is under load and summarise where the time
goes (top functions by own time and by inclusive time) as markdown under bench/out/."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.procs import OUT, BenchError, pinned


def py_spy() -> str:
    found = Path(sys.executable).with_name("py-spy")
    if found.exists():
        return str(found)
    other = shutil.which("py-spy")
    if other:
        return other
    raise BenchError("py-spy is not installed: run `.venv/bin/pip install -e '.[test]'`")


def start(
    pid: int, seconds: float, name: str, cpus: str | None, *, gil: bool = False
) -> tuple[subprocess.Popen, Path]:
    """Start sampling ``pid`` for ``seconds`` (100 Hz, without pausing the target); ``gil``:
    only the thread holding the GIL, i.e. where the Python CPU time goes (a thread waiting in
    fsync or a socket call is then never counted as busy)."""
    OUT.mkdir(parents=True, exist_ok=True)
    raw = OUT / f"{name}.collapsed.txt"
    command = pinned(
        [
            py_spy(),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            "100",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(raw),
            *(["--gil"] if gil else []),
        ],
        cpus,
    )
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return process, raw


def finish(
    process: subprocess.Popen,
    raw: Path,
    title: str,
    top: int = 25,
    *,
    early: bool = False,
    gil: bool = False,
) -> Path:
    """Wait for py-spy (or, ``early``, stop it now: on SIGINT it writes what it sampled) and
    write the markdown summary next to the raw samples."""
    if early and process.poll() is None:
        process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=120)
    if process.returncode != 0 or not raw.exists():
        raise BenchError(f"py-spy failed: {errors.decode(errors='replace')[-2000:]}")
    summary = raw.with_name(raw.name.replace(".collapsed.txt", ".md"))
    summary.write_text(summarize(raw.read_text(), title, top, gil=gil))
    return summary


def parse_collapsed(text: str) -> list[tuple[list[str], int]]:
    """``frame;frame;frame count`` lines (py-spy ``--format raw``) into (stack, samples)."""
    stacks = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        frames, _, count = line.rpartition(" ")
        if not frames or not count.isdigit():
            continue
        stacks.append((frames.split(";"), int(count)))
    return stacks


def summarize(text: str, title: str, top: int = 25, *, gil: bool = False) -> str:
    stacks = parse_collapsed(text)
    total = sum(count for _, count in stacks) or 1
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [
        f"# {title}",
        "",
        f"{total} samples (py-spy, 100 Hz, "
        + ("the thread holding the GIL)." if gil else "all threads that were not idle)."),
        "",
        "## Own time (where the CPU is spent)",
        "",
        "| % | samples | function |",
        "| ---: | ---: | --- |",
    ]
    lines += [f"| {n / total * 100:.1f} | {n} | `{f}` |" for f, n in own.most_common(top)]
    lines += [
        "",
        "## Inclusive time (what the time is spent under)",
        "",
        "| % | samples | function |",
        "| ---: | ---: | --- |",
    ]
    lines += [f"| {n / total * 100:.1f} | {n} | `{f}` |" for f, n in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


def top_own(summary_text: str, count: int = 5) -> list[str]:
    """The first ``count`` rows of the own-time table, for RESULTS.md."""
    rows = []
    in_own = False
    for line in summary_text.splitlines():
        if line.startswith("## Own time"):
            in_own = True
        elif line.startswith("## "):
            in_own = False
        elif in_own and line.startswith("| ") and line[2:3].isdigit():
            rows.append(line)
    return rows[:count]
