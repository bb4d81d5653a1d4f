-- wrk script for bench/api.py.
--
--   wrk ... -s bench/api_load.lua http://127.0.0.1:PORT/PATH -- get
--   wrk ... -s bench/api_load.lua http://127.0.0.1:PORT/api/v1/posts -- post TOKENS BOARDS TAGS
--
-- "get" repeats one request to the URL's path. "post" publishes a new post on every request:
-- a distinct title, kinds, boards and tags in rotation, and the API tokens (comma-separated) of
-- several members in rotation. Every thread counts responses outside 2xx; done() prints one
-- BENCH_RESULT line with the counts and the latency percentiles in microseconds.

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
  table.insert(threads, thread)
end

local function split(text)
  local items = {}
  for item in string.gmatch(text or "", "[^,]+") do
    table.insert(items, item)
  end
  return items
end

local kinds = { "bug", "suggestion", "question", "complaint", "praise" }
local devices = { "FL-200", "FL-300 Pro", "FL Mini" }
local mode = "get"
local cached = nil
local tokens, boards, tags = {}, {}, {}
local counter = 0
local thread_id = 0
non2xx = 0
responses = 0

function init(args)
  mode = args[1] or "get"
  thread_id = wrk.thread:get("thread_id")
  if mode == "post" then
    tokens, boards, tags = split(args[2]), split(args[3]), split(args[4])
    wrk.method = "POST"
  else
    cached = wrk.format("GET", wrk.path)
  end
end

local function post_request()
  counter = counter + 1
  local n = counter
  local kind = kinds[(n % #kinds) + 1]
  local board = boards[(n % #boards) + 1]
  local token = tokens[(n % #tokens) + 1]
  local tag_json = "[]"
  if #tags > 0 and n % 3 == 0 then
    tag_json = '["' .. tags[(n % #tags) + 1] .. '"]'
  end
  local extra = ""
  if kind == "bug" then
    extra = ',"device_model":"' .. devices[(n % #devices) + 1] .. '","os_version":"4.2.' .. (n % 9) .. '"'
  end
  local body = string.format(
    '{"board":"%s","kind":"%s","title":"Sync stops after update 4.%d (report %d-%d)",'
      .. '"body":"Since the update the **sync** stops after a few minutes.\\n\\n'
      .. '- restarting the app helps for a while\\n- it happens on Wi-Fi and on mobile data\\n\\n'
      .. 'Report %d from thread %d; anyone else seeing this?","tags":%s%s}',
    board, kind, n % 9, thread_id, n, n, thread_id,
    tag_json, extra
  )
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function request()
  if mode == "post" then
    return post_request()
  end
  return cached
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad, seen = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    seen = seen + thread:get("responses")
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d responses=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d "
      .. "non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, seen, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, errors.connect, errors.read, errors.write, errors.timeout
  ))
end
