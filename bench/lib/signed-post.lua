-- wrk script: replays pre-signed POST /v1/events requests, each exactly once.
--
--   wrk -t T -c C -d HARD -s signed-post.lua URL -- <prefix> <site> <seconds>
--
-- Thread i reads <prefix>.<i>.tsv: one request per line, "request_id<TAB>timestamp<TAB>hex
-- signature<TAB>body". The relay refuses a request id it has seen (409), so nothing is ever
-- sent twice. A thread stops sending POSTs when its file is used up or <seconds> after its
-- first POST, whichever comes first; free connection slots then get a cheap GET /healthz
-- (answered 200, not counted), and the thread stops as soon as every POST it sent has been
-- answered, printing "EXHAUSTED <id>" so the driver ends wrk at once (SIGINT). So every POST
-- sent is also answered: the bench can compare the events acknowledged with the rows on disk.
--
-- wrk calls request() once on thread 0 right after init() to check the script ("verify");
-- that request is never sent, so thread 0 answers it with the filler.
--
-- Throughput is measured here, not by wrk's "Requests/sec" (which divides by the whole -d even
-- when threads stopped early): from each thread's first POST to its last answer, on the
-- monotonic clock. done() prints one "WRK_RESULT {json}" line.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } ls_timespec;
int clock_gettime(int clk, ls_timespec *tp);
]]
local ts = ffi.new("ls_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local prefix, site = args[1], args[2]
  deadline_us = tonumber(args[3] or "10") * 1000000
  skip_verify = (id == 0)
  closed = false
  reqs = {}
  local f = assert(io.open(prefix .. "." .. id .. ".tsv", "r"))
  for line in f:lines() do
    local rid, stamp, sig, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
    reqs[#reqs + 1] = wrk.format("POST", "/v1/events", {
      ["Content-Type"] = "application/json",
      ["X-LayerSync-Site"] = site,
      ["X-LayerSync-Request-Id"] = rid,
      ["X-LayerSync-Timestamp"] = stamp,
      ["X-LayerSync-Signature"] = "v1=" .. sig,
    }, body)
  end
  f:close()
  total = #reqs
  filler = wrk.format("GET", "/healthz")
  sent, answered, acked, accepted, duplicate, other = 0, 0, 0, 0, 0, 0
  first_us, last_us = 0, 0
  statuses = {}
end

local function finish()
  io.write("EXHAUSTED " .. id .. "\n")
  io.flush()
  wrk.thread:stop()
end

function request()
  if skip_verify then
    skip_verify = false
    return filler
  end
  if not closed then
    if sent < total and (sent == 0 or now_us() - first_us < deadline_us) then
      sent = sent + 1
      local r = reqs[sent]
      reqs[sent] = nil -- the request string is not needed again
      if sent == 1 then first_us = now_us() end
      return r
    end
    closed = true
    if answered >= sent then finish() end
  end
  return filler
end

function response(status, headers, body)
  if status == 200 then return end -- a filler GET /healthz
  answered = answered + 1
  last_us = now_us()
  if status == 202 then
    acked = acked + 1
    accepted = accepted + (tonumber(body:match('"accepted":(%d+)')) or 0)
    duplicate = duplicate + (tonumber(body:match('"duplicate":(%d+)')) or 0)
  else
    other = other + 1
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
  end
  if answered >= sent and (closed or sent >= total) then finish() end
end

function done(summary, latency, requests)
  local first, last = math.huge, 0
  local t = { sent = 0, answered = 0, acked = 0, accepted = 0, duplicate = 0, other = 0, total = 0 }
  local status_list = {}
  for _, th in ipairs(threads) do
    for _, k in ipairs({ "sent", "answered", "acked", "accepted", "duplicate", "other", "total" }) do
      t[k] = t[k] + (th:get(k) or 0)
    end
    local f, l = th:get("first_us") or 0, th:get("last_us") or 0
    if f > 0 and f < first then first = f end
    if l > last then last = l end
    for k, v in pairs(th:get("statuses") or {}) do
      table.insert(status_list, string.format('"%s":%d', k, v))
    end
  end
  local window_us = (last > first) and (last - first) or summary.duration
  io.write(string.format(
    'WRK_RESULT {"total":%d,"sent":%d,"answered":%d,"acked":%d,"accepted":%d,"duplicate":%d,"other":%d,' ..
    '"window_us":%d,"wrk_duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"statuses":{%s}}\n',
    t.total, t.sent, t.answered, t.acked, t.accepted, t.duplicate, t.other,
    window_us, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    table.concat(status_list, ",")))
end
