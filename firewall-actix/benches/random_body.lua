-- Random punctuation-heavy 8 KB text/plain bodies, the WAF's worst case
-- (each lazy DFA state over a few hundred signatures is met for the first
-- time every few bytes). 256 bodies drawn once, sent in turn. Every one is
-- refused (403) at the default paranoia level; what it measures is how
-- fast the server refuses them. Only 127.0.0.1:
--
--   cargo build --release --example bench_server
--   BENCH_CONFIG=waf BENCH_LOG=off BENCH_PORT=18181 BENCH_WORKERS=1 BENCH_DIR=$(mktemp -d) \
--     target/release/examples/bench_server &
--   wrk -t1 -c8 -d8s --latency -s firewall-actix/benches/random_body.lua http://127.0.0.1:18181/
local alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 '\"<>()[]{};:|&$`/\\=-_.,!?*#@^~"
local bodies = {}
math.randomseed(42)
for b = 1, 256 do
  local t = {}
  for i = 1, 8000 do
    local k = math.random(#alphabet)
    t[i] = alphabet:sub(k, k)
  end
  bodies[b] = table.concat(t)
end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
request = function()
  n = n + 1
  return wrk.format(nil, "/", nil, bodies[(n % #bodies) + 1])
end
