-- GETs paths read from a file (one a line), picked at random, with a bearer token.
-- Arguments: <paths file> <token>.
local paths = {}

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(paths, line) end
  end
  assert(#paths > 0, "no paths")
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  math.randomseed(1234 + bench_thread_id)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
