-- wrk script: each thread logs in as its own user (one email per line in $BENCH_EMAILS),
-- password $BENCH_PASSWORD, tokens in the body.
local emails = {}
for line in io.lines(os.getenv("BENCH_EMAILS")) do emails[#emails + 1] = line end
local password = os.getenv("BENCH_PASSWORD")
local next_index = 1

function setup(thread)
  thread:set("email", emails[(next_index - 1) % #emails + 1])
  next_index = next_index + 1
end

function request()
  return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" },
    '{"email":"' .. email .. '","password":"' .. password .. '","client":"native"}')
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
