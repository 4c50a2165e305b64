-- Synchronous upserts: PUT /V1/products/<sku> for SKUs <prefix>0 .. <prefix>N-1, each once, over
-- all connections of one thread; the run ends when the N-th response arrived. Reports the wall
-- time from the first request to the N-th response ("walk_ms") and non-200 answers ("failed").
-- Arguments: <body file> <token> <sku prefix> <N> <path prefix>. Run with -t1.
local pieces, sku_prefix, total, path_prefix
local issued = 0
answered = 0
failed = 0
walk_ms = 0
local started
table.insert(bench_values, "walk_ms")
table.insert(bench_counters, "answered")
table.insert(bench_counters, "failed")

function init(args)
  pieces = bench_template(args[1])
  sku_prefix = args[3]
  total = tonumber(args[4])
  path_prefix = args[5]
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
end

function request()
  if started == nil then started = bench_now_ms() end
  -- Connections that ask after the N-th request repeat an upsert already counted; their
  -- answers arrive after the end and are not part of walk_ms.
  local sku = sku_prefix .. (issued % total)
  issued = issued + 1
  return wrk.format("PUT", path_prefix .. sku, nil, bench_fill(pieces, sku))
end

function response(status, headers, body)
  if answered >= total then return end
  answered = answered + 1
  if status ~= 200 then failed = failed + 1 end
  if answered == total then
    walk_ms = bench_now_ms() - started
    bench_finish()
  end
end
