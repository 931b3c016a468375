-- wrk script: each thread (one connection) rotates its own native session's refresh token back
-- to back, keeping the token each answer hands over. Tokens: one per line in $BENCH_TOKENS.
-- Prints one JSON line: requests, non-2xx answers, latency percentiles (microseconds).
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local next_index = 1

function setup(thread)
  thread:set("token", tokens[next_index])
  next_index = next_index + 1
end

function init(args)
  token = token
end

function request()
  return wrk.format("POST", "/api/auth/refresh", { ["Content-Type"] = "application/json" },
    '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
  if status == 200 then
    token = string.match(body, '"refresh_token"%s*:%s*"([^"]+)"') or token
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
