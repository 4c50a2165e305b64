"""The benchmark harness's pure parts: wrk output parsing, statistics, formatting, the profile
summary and the composition of wrk's Lua scripts. Nothing here runs a benchmark or reads a clock."""

from __future__ import annotations

import json
import math

import pytest

from bench import profile, wrk
from bench.context import Row, SectionResult
from bench.stats import (
    Spread,
    figure,
    growth_percent,
    median,
    parse_wrk,
    percentile,
    ratio,
    summarize,
)

WRK_TEXT = """\
Running 10s test @ http://127.0.0.1:8000/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.07ms    1.12ms  1.02s    91.37%
    Req/Sec    10.56k   612.03    11.34k    88.00%
  Latency Distribution
     50%    5.87ms
     75%    6.21ms
     90%    6.82ms
     99%  750.00us
  105077 requests in 10.00s, 15.93MB read
  Non-2xx or 3xx responses: 12
  Socket errors: connect 0, read 3, write 1, timeout 2
Requests/sec:  10505.12
Transfer/sec:      1.59MB
"""

WRK_JSON = """\
Running 2s test @ http://127.0.0.1:8000/rest/default/async/V1/products
  1 threads and 64 connections
  9000 requests in 2.00s, 3.1MB read
Requests/sec:   4500.00
BENCH-JSON {"requests":9000,"duration_us":2000000,"bytes":3100000,\
"errors":{"connect":0,"read":0,"write":0,"status":4,"timeout":1},\
"latency_us":{"min":800,"mean":1500.5,"p50":1400,"p90":2100,"p99":4250,"p999":9000,"max":12000},\
"late":3.000,"paced":9064.000,"walk_ms":null}
"""


def test_parse_wrk_text_output() -> None:
    result = parse_wrk(WRK_TEXT)
    assert result.requests == 105077
    assert result.duration_s == 10.0
    assert result.rps == pytest.approx(10507.7)
    assert result.non_2xx == 12
    assert result.ok == 105065
    assert (result.connect_errors, result.read_errors, result.write_errors, result.timeouts) == (
        0,
        3,
        1,
        2,
    )
    assert result.socket_errors == 6
    assert result.latency_ms == {
        "mean": pytest.approx(6.07),
        "max": pytest.approx(1020.0),
        "p50": pytest.approx(5.87),
        "p75": pytest.approx(6.21),
        "p90": pytest.approx(6.82),
        "p99": pytest.approx(0.75),
    }
    assert math.isnan(result.latency("p999"))


def test_parse_wrk_prefers_the_lua_json_line() -> None:
    result = parse_wrk(WRK_JSON)
    assert result.requests == 9000
    assert result.duration_s == 2.0
    assert result.rps == 4500.0
    assert result.non_2xx == 4
    assert result.timeouts == 1
    assert result.socket_errors == 1
    assert result.latency_ms == {
        "min": 0.8,
        "mean": 1.5005,
        "p50": 1.4,
        "p90": 2.1,
        "p99": 4.25,
        "p999": 9.0,
        "max": 12.0,
    }
    assert result.extra == {"bytes": 3100000, "late": 3.0, "paced": 9064.0, "walk_ms": None}


def test_parse_wrk_rejects_output_without_a_summary() -> None:
    with pytest.raises(ValueError, match="no 'N requests in T' line"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_summarize_median_and_spread() -> None:
    spread = summarize([5200.0, 4800.0, 5000.0])
    assert spread == Spread(5000.0, 4800.0, 5200.0, (4800.0, 5000.0, 5200.0))
    assert spread.spread_percent == 4.0
    assert spread.ratio_to(summarize([20000.0])) == 0.25
    assert math.isnan(spread.ratio_to(summarize([0.0])))
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError):
        summarize([])


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 0) == 1.0
    assert percentile([7.0, 3.0, 5.0], 50) == 5.0
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_formatting() -> None:
    assert figure(summarize([5210.4, 4980.0, 5400.0])) == "5,210 (4,980–5,400, ±4%, n=3)"
    assert figure(summarize([1.5, 2.5, 2.0]), 2, "ms") == "2.00 ms (1.50–2.50, ±25%, n=3)"
    assert ratio(0.256) == "0.26×"
    assert ratio(math.nan) == "n/a"
    assert growth_percent(100.0, 103.0) == pytest.approx(3.0)


def test_profile_summary_counts_own_and_inclusive_time() -> None:
    collapsed = (
        "main (app.py:1);handle (rest.py:10);decode (rest.py:20) 6\n"
        "main (app.py:1);handle (rest.py:10) 3\n"
        "main (app.py:1);commit (writer.py:5) 1\n"
        "garbage line\n"
    )
    assert profile.parse_collapsed(collapsed) == [
        (["main (app.py:1)", "handle (rest.py:10)", "decode (rest.py:20)"], 6),
        (["main (app.py:1)", "handle (rest.py:10)"], 3),
        (["main (app.py:1)", "commit (writer.py:5)"], 1),
    ]
    text = profile.summarize(collapsed, "Test", top=3)
    assert profile.top_own(text) == [
        "| 60.0 | 6 | `decode (rest.py:20)` |",
        "| 30.0 | 3 | `handle (rest.py:10)` |",
        "| 10.0 | 1 | `commit (writer.py:5)` |",
    ]
    inclusive = text.split("## Inclusive time", 1)[1]
    assert "| 100.0 | 10 | `main (app.py:1)` |" in inclusive
    assert "| 90.0 | 9 | `handle (rest.py:10)` |" in inclusive


def test_lua_scripts_are_composed_after_the_common_part(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(wrk, "OUT", tmp_path)
    path = wrk.script("paced", "post_items", "fixed_rate")
    text = path.read_text()
    common = (wrk.LUA / "common.lua").read_text()
    assert text.startswith(common)
    assert text.index("function request()") < text.index("local base_init = init")
    assert path == tmp_path / "paced.lua"


def test_a_saved_section_reads_back_equal() -> None:
    section = SectionResult(
        "accept",
        "1. Accept",
        lines=["text"],
        rows=[Row("Async accept (req/s)", "5,210", "0.31× hello-world", "≥ 5,000", "met")],
        commands=["wrk -t1"],
        load="0.5 → 2.1",
        measured="2026-01-01 00:00 UTC",
    )
    assert SectionResult.from_json(json.loads(json.dumps(section.to_json()))) == section
