-- One GCRA step, as firewall_core::limit::decide computes it, in one atomic
-- call. KEYS[1] holds the key's theoretical arrival time (TAT) as decimal
-- nanoseconds since the Unix epoch; a missing key means "full quota".
-- ARGV[1]: interval (ns); ARGV[2]: tolerance = burst * interval (ns);
-- ARGV[3], ARGV[4] (tests only): "now" as seconds and nanoseconds, instead
-- of the server's TIME.
-- Returns {allowed (1/0), remaining, reset (ns), retry_after (ns, -1: none)}.
--
-- Lua numbers are doubles: a timestamp in nanoseconds (1.8e18) does not fit
-- their 53 bits, so times are kept as (seconds, nanoseconds) and only
-- differences are computed, which are exact below 2^53 ns (104 days).
if redis.replicate_commands then redis.replicate_commands() end

local now_s, now_ns
if ARGV[3] then
  now_s, now_ns = tonumber(ARGV[3]), tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now_s, now_ns = tonumber(t[1]), tonumber(t[2]) * 1000
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])

-- d = max(tat - now, 0): how far the stored TAT is ahead of now.
local d = 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local tat_s = tonumber(string.sub(stored, 1, -10)) or 0
  local tat_ns = tonumber(string.sub(stored, -9)) or 0
  local diff = (tat_s - now_s) * 1000000000 + (tat_ns - now_ns)
  if diff > 0 then d = diff end
end

local ahead = d + interval
if ahead > tolerance then
  return {0, 0, d, ahead - tolerance}
end

-- remaining = floor((tolerance - ahead) / interval), corrected for rounding.
local spare = tolerance - ahead
local remaining = math.floor(spare / interval)
if remaining * interval > spare then
  remaining = remaining - 1
elseif (remaining + 1) * interval <= spare then
  remaining = remaining + 1
end

-- Store now + ahead; the key expires when it is back to full quota (with
-- the test clock it is kept: the server's clock would not agree).
local ns = now_ns + ahead
local s = now_s + math.floor(ns / 1000000000)
ns = ns % 1000000000
local tat = string.format('%d%09d', s, ns)
if ARGV[3] then
  redis.call('SET', KEYS[1], tat)
else
  redis.call('SET', KEYS[1], tat, 'PX', math.ceil(ahead / 1000000))
end
return {1, remaining, ahead, -1}
