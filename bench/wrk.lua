-- wrk script of bench/run.sh.
--   BENCH_BODY    if set: every request is a POST of this JSON body (else a GET); the path is
--                 the one of the URL given to wrk
--   BENCH_BUDGET  if set: each wrk thread stops after this many responses (a request budget;
--                 run.sh then ends wrk with SIGINT, since wrk itself waits for its -d)
--   BENCH_OBS_UNITS  "FIRST-LAST": the POST body is {"obs_unit_id": N} with N cycling through
--                 FIRST..LAST (observations spread over obs units, for the read benchmark)
--   BENCH_AUTH    if set: the Authorization header of every request ("Bearer ...")
-- At the end one machine-readable line is printed:
--   BENCH requests=… seconds=… rps=… p50_us=… p90_us=… p99_us=… max_us=… non2xx=… sockerr=…
local body = os.getenv("BENCH_BODY")
local budget = tonumber(os.getenv("BENCH_BUDGET") or "")
local answered = 0
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end

if body and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

-- No request() function unless the body varies: wrk then builds the request once and sends the
-- same bytes every time (no Lua call per request), and response() exists only with a budget, for
-- the same reason.
local units = os.getenv("BENCH_OBS_UNITS")
if units and units ~= "" then
  local first, last = units:match("^(%d+)-(%d+)$")
  first, last = tonumber(first), tonumber(last)
  local sent = 0
  function request()
    sent = sent + 1
    local unit = first + sent % (last - first + 1)
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Authorization"] = auth },
      string.format('{"obs_unit_id": %d}', unit))
  end
end

if budget then
  function response(status, headers, body)
    answered = answered + 1
    if answered >= budget then
      wrk.thread:stop()
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f " ..
    "mean_us=%.1f non2xx=%d sockerr=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.status, e.connect + e.read + e.write + e.timeout))
end
