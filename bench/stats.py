"""Statistics of repeated measurements and the parsing of wrk's output.

Pure functions only (no processes, no clocks), so the unit suite can check them exactly.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

JSON_MARKER = "BENCH-JSON "


@dataclass(frozen=True, slots=True)
class Spread:
    """The median of repeated measurements with their lowest and highest value."""

    median: float
    low: float
    high: float
    values: tuple[float, ...]

    @property
    def spread_percent(self) -> float:
        """Half the range as a percentage of the median: the "plus or minus" of the figure."""
        if self.median == 0:
            return 0.0
        return (self.high - self.low) / 2 / abs(self.median) * 100

    def ratio_to(self, baseline: Spread) -> float:
        """Median over the baseline's median (NaN when the baseline is zero)."""
        return self.median / baseline.median if baseline.median else math.nan


def summarize(values: Iterable[float]) -> Spread:
    ordered = sorted(float(v) for v in values)
    if not ordered:
        raise ValueError("no values to summarize")
    return Spread(median(ordered), ordered[0], ordered[-1], tuple(ordered))


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of no values")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method: a value that was observed."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def growth_percent(before: float, after: float) -> float:
    return (after - before) / before * 100 if before else math.nan


# --- formatting -----------------------------------------------------------------------------------


def number(value: float, digits: int = 0) -> str:
    """``12,345`` or ``1.23``: thousands separators, fixed decimals, ``n/a`` for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def figure(spread: Spread, digits: int = 0, unit: str = "") -> str:
    """``5,210 req/s (4,980-5,400, ±4%, n=3)``."""
    suffix = f" {unit}" if unit else ""
    return (
        f"{number(spread.median, digits)}{suffix} "
        f"({number(spread.low, digits)}–{number(spread.high, digits)}, "
        f"±{spread.spread_percent:.0f}%, n={len(spread.values)})"
    )


def ratio(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}×"


# --- wrk output -----------------------------------------------------------------------------------


@dataclass(slots=True)
class WrkResult:
    """One wrk run. Latencies are in milliseconds; ``extra`` holds what the Lua script added."""

    requests: int
    duration_s: float
    non_2xx: int = 0
    connect_errors: int = 0
    read_errors: int = 0
    write_errors: int = 0
    timeouts: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def ok(self) -> int:
        """Completed responses with a 2xx or 3xx status."""
        return self.requests - self.non_2xx

    @property
    def socket_errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    def latency(self, name: str) -> float:
        return self.latency_ms.get(name, math.nan)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_UNITS_S = {"us": 1e-6, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(text: str, units: dict[str, float]) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * units[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Parse wrk's output. The ``BENCH-JSON`` line printed by our Lua ``done()`` is preferred
    (exact counts, microsecond percentiles); wrk's own text is the fallback, so a plain
    ``wrk --latency`` run parses too."""
    for line in output.splitlines():
        if line.startswith(JSON_MARKER):
            return _from_json(json.loads(line[len(JSON_MARKER) :]))
    return _from_text(output)


def _from_json(data: dict[str, Any]) -> WrkResult:
    latency = {key: value / 1000 for key, value in data.pop("latency_us").items()}
    errors = data.pop("errors")
    return WrkResult(
        requests=int(data.pop("requests")),
        duration_s=data.pop("duration_us") / 1e6,
        non_2xx=int(errors["status"]),
        connect_errors=int(errors["connect"]),
        read_errors=int(errors["read"]),
        write_errors=int(errors["write"]),
        timeouts=int(errors["timeout"]),
        latency_ms=latency,
        extra=data,
    )


def _from_text(output: str) -> WrkResult:
    summary = re.search(r"^\s*(\d+) requests in ([\d.]+\w+),", output, re.MULTILINE)
    if summary is None:
        raise ValueError("wrk output has no 'N requests in T' line:\n" + output[-2000:])
    result = WrkResult(int(summary.group(1)), _duration(summary.group(2), _UNITS_S))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    if non_2xx:
        result.non_2xx = int(non_2xx.group(1))
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sockets:
        (
            result.connect_errors,
            result.read_errors,
            result.write_errors,
            result.timeouts,
        ) = (int(group) for group in sockets.groups())
    average = re.search(
        r"^\s*Latency\s+([\d.]+\w+)\s+[\d.]+\w+\s+([\d.]+\w+)", output, re.MULTILINE
    )
    if average:
        result.latency_ms["mean"] = _duration(average.group(1), _UNITS_MS)
        result.latency_ms["max"] = _duration(average.group(2), _UNITS_MS)
    distribution = output.split("Latency Distribution", 1)
    if len(distribution) == 2:
        for pct, value in re.findall(r"^\s*([\d.]+)%\s+([\d.]+\w+)\s*$", distribution[1], re.M):
            result.latency_ms[f"p{_percent_name(pct)}"] = _duration(value, _UNITS_MS)
    return result


def _percent_name(text: str) -> str:
    value = float(text)
    return str(int(value)) if value.is_integer() else str(value).replace(".", "")
