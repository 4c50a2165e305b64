-- POSTs a JSON body read from a file, with every "{SKU}" replaced by a SKU unique to the
-- request. Arguments: <body file> <token> <sku prefix>.
local pieces, sku_prefix
local sent = 0

function init(args)
  pieces = bench_template(args[1])
  sku_prefix = args[3] .. bench_thread_id .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[2] ~= "" then wrk.headers["Authorization"] = "Bearer " .. args[2] end
end

function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, bench_fill(pieces, sku_prefix .. sent))
end
