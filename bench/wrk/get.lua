-- wrk script: GET $BENCH_PATH with the header line in $BENCH_HEADER ("Name: value", optional).
local path = os.getenv("BENCH_PATH")
local header = os.getenv("BENCH_HEADER") or ""
local headers = {}
local name, value = string.match(header, "^([^:]+):%s*(.*)$")
if name then headers[name] = value end

function request()
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
