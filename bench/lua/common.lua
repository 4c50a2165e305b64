-- Shared by every benchmark script (the harness prepends it): a monotonic clock, thread
-- bookkeeping, and a done() that prints one machine-readable line the harness parses.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
int getpid(void);
int kill(int pid, int sig);
]]
local bench_ts = ffi.new("bench_timespec")

-- Milliseconds on CLOCK_MONOTONIC (id 1), with sub-millisecond precision.
function bench_now_ms()
  ffi.C.clock_gettime(1, bench_ts)
  return tonumber(bench_ts.tv_sec) * 1000 + tonumber(bench_ts.tv_nsec) / 1e6
end

-- Ends the whole run early: stop this thread, then SIGINT wrk itself, which makes its main
-- thread stop waiting for the duration and print the results.
function bench_finish()
  wrk.thread:stop()
  ffi.C.kill(ffi.C.getpid(), 2)
end

-- Splits a template at every "{SKU}" so a request body is one table.concat away.
function bench_template(path)
  local file = assert(io.open(path, "rb"))
  local template = file:read("*a")
  file:close()
  local pieces, start = {}, 1
  while true do
    local at = template:find("{SKU}", start, true)
    if at == nil then break end
    table.insert(pieces, template:sub(start, at - 1))
    start = at + 5
  end
  assert(#pieces > 0, "body template has no {SKU}")
  table.insert(pieces, template:sub(start))
  return pieces
end

function bench_fill(pieces, sku)
  return table.concat(pieces, sku)
end

-- Per-thread counters that done() sums over threads; scripts add names to this list.
bench_counters = {}
-- Per-thread values that done() reports from the first thread (-t1 scripts only).
bench_values = {}

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("bench_thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local parts = {}
  local function add(name, value) table.insert(parts, string.format('"%s":%s', name, value)) end
  add("requests", string.format("%d", summary.requests))
  add("duration_us", string.format("%d", summary.duration))
  add("bytes", string.format("%d", summary.bytes))
  local e = summary.errors
  add("errors", string.format('{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
    e.connect, e.read, e.write, e.status, e.timeout))
  add("latency_us", string.format(
    '{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}',
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
  for _, name in ipairs(bench_counters) do
    local total = 0
    for _, thread in ipairs(threads) do total = total + (tonumber(thread:get(name)) or 0) end
    add(name, string.format("%.3f", total))
  end
  for _, name in ipairs(bench_values) do
    local value = tonumber(threads[1]:get(name))
    add(name, value and string.format("%.3f", value) or "null")
  end
  io.write("BENCH-JSON {" .. table.concat(parts, ",") .. "}\n")
end
