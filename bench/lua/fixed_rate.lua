-- Open-loop pacing for Debian's wrk (which lacks wrk2's -R): every time a connection is about to
-- send, it takes the next slot of a fixed schedule and waits until that instant. With enough
-- idle connections every request leaves on time; "late" counts requests that left more than
-- 1 ms after their slot (then the schedule could not be kept and latencies are understated).
-- Arguments (after those of the request script): <requests per second for this thread>.
local interval_ms, next_slot
late = 0
paced = 0
table.insert(bench_counters, "late")
table.insert(bench_counters, "paced")

local base_init = init
function init(args)
  base_init(args)
  interval_ms = 1000 / tonumber(args[#args])
end

function delay()
  local now = bench_now_ms()
  if next_slot == nil then next_slot = now end
  local wait = next_slot - now
  next_slot = next_slot + interval_ms
  paced = paced + 1
  if wait < -1 then late = late + 1 end
  if wait <= 0 then return 0 end
  return wait
end
