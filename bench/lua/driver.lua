-- wrk driver for the Railbook benchmarks.
--   wrk -tT ... -s driver.lua -- post FILE AUTH PATH T [idempotency]
--       one JSON body per line; thread k POSTs lines k, k+T, k+2T ... once each, then stops and
--       creates FILE.exhausted.k (wrk itself runs until -d is over or it gets SIGINT)
--   wrk -tT ... -s driver.lua -- get FILE AUTH - T
--       one request path per line, requested in random order
-- done() prints one line "BENCH_JSON {...}": requests/s, latency percentiles (ms), status counts.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Globals, so done() can read them from each thread with thread:get().
statuses = {}
exhausted = 0

local mode, items, items_file, path, idempotent
local position = 0
local counter = 0

function init(args)
  mode, items_file, path = args[1], args[2], args[4]
  local slices = tonumber(args[5] or "1")
  idempotent = args[6] == "idempotency"
  local me = tonumber(thread_id)
  items = {}
  local line_no = 0
  for line in io.lines(args[2]) do
    if line ~= "" then
      if mode == "get" or line_no % slices == me then
        table.insert(items, line)
      end
      line_no = line_no + 1
    end
  end
  math.randomseed(os.time() + me * 7919)
  wrk.headers["Authorization"] = args[3]
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end

function request()
  if mode == "post" then
    position = position + 1
    if position > #items then
      -- Out of fresh bodies: stop rather than send duplicates (they would be 409s).
      if exhausted == 0 then
        -- wrk's main thread sleeps for the whole -d; this file tells the driver to interrupt it.
        local marker = io.open(items_file .. ".exhausted." .. thread_id, "w")
        if marker then marker:close() end
      end
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/healthz")
    end
    local headers = nil
    if idempotent then
      -- wrk.format uses the table it is given instead of wrk.headers, not on top of them.
      counter = counter + 1
      headers = {}
      for name, value in pairs(wrk.headers) do headers[name] = value end
      -- Unique per pool file (each run of the bench has its own), thread and request: a key made
      -- from the clock's second repeated itself when a measured run began within the second its
      -- warm-up ended, and the server rightly answered 409 for a key reused with another body.
      headers["Idempotency-Key"] = "bench-" .. items_file .. "-" .. thread_id .. "-" .. counter
    end
    return wrk.format("POST", path, headers, items[position])
  end
  return wrk.format("GET", items[math.random(#items)])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  local ran_out = 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + count
    end
    ran_out = ran_out + (thread:get("exhausted") or 0)
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, "p90_ms": %.3f, ' ..
    '"p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f, "socket_errors": %d, "non_2xx": %d, ' ..
    '"threads_out_of_bodies": %d, "statuses": {%s}}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    ran_out, table.concat(parts, ", ")))
end
