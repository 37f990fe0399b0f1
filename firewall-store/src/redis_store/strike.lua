-- Counts one strike against a client and says whether it bans, as
-- firewall_core's in-process strikes do: exactly N strikes within the
-- sliding window ban, and a repeat offender's ban grows.
-- KEYS[1]: the client's ban; KEYS[2]: its strikes (a sorted set, scored by
-- the server's time in microseconds); KEYS[3]: its record (a hash: seq,
-- offences, ban_end in microseconds). All three share the client's hash tag.
-- ARGV[1]: the strike's kind (0 ACL, 1 WAF, 2 rate limit); ARGV[2]: strikes
-- that ban; ARGV[3]: window (us); ARGV[4]: repeat memory (us); ARGV[5..]:
-- the ban's duration (us) for offence 1, 2, ...; the last one repeats.
-- Returns {0} (no ban), {-1} (already banned) or
-- {1, offence, duration_us, acl, waf, rate}.
if redis.replicate_commands then redis.replicate_commands() end

if redis.call('EXISTS', KEYS[1]) == 1 then
  return {-1}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local strikes = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local memory = tonumber(ARGV[4])

-- A strike exactly one window old no longer counts.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local seq = redis.call('HINCRBY', KEYS[3], 'seq', 1)
redis.call('ZADD', KEYS[2], now, ARGV[1] .. ':' .. seq)
redis.call('PEXPIRE', KEYS[2], math.ceil(window / 1000))
local record_ttl = window
local ban_end = tonumber(redis.call('HGET', KEYS[3], 'ban_end') or '0')
if ban_end + memory > now and ban_end + memory - now > record_ttl then
  record_ttl = ban_end + memory - now
end
redis.call('PEXPIRE', KEYS[3], math.ceil(record_ttl / 1000))
if redis.call('ZCARD', KEYS[2]) < strikes then
  return {0}
end

local counts = {0, 0, 0}
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local kind = tonumber(string.sub(member, 1, 1)) + 1
  counts[kind] = counts[kind] + 1
end
redis.call('DEL', KEYS[2])

local offences = tonumber(redis.call('HGET', KEYS[3], 'offences') or '0')
if ban_end + memory <= now then
  offences = 0
end
offences = offences + 1
local last = #ARGV
local duration = tonumber(ARGV[math.min(4 + offences, last)])
ban_end = now + duration
redis.call('HSET', KEYS[3], 'offences', offences, 'ban_end', ban_end)
redis.call('PEXPIRE', KEYS[3], math.ceil((duration + memory) / 1000))
return {1, offences, duration, counts[1], counts[2], counts[3]}
