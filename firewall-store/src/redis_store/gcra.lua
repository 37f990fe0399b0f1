-- One GCRA step, as firewall_core::limit::decide computes it, in one atomic
-- call. KEYS[1] holds the key's theoretical arrival time (TAT) as decimal
-- nanoseconds since the Unix epoch; a missing key means "full quota".
-- ARGV[1], ARGV[2]: interval (seconds, nanoseconds); ARGV[3], ARGV[4]:
-- tolerance = burst * interval (seconds, nanoseconds); ARGV[5], ARGV[6]
-- (tests only): "now" (seconds, nanoseconds) instead of the server's TIME.
-- Returns {allowed (1/0), remaining, reset (s, ns), retry_after (s, ns;
-- -1, 0: none)}.
--
-- Lua numbers are doubles, exact only below 2^53: a time in nanoseconds
-- (1.8e18) does not fit, so every time and duration is a pair (seconds,
-- nanoseconds below 1e9), and the answers are exact for any quota.
if redis.replicate_commands then redis.replicate_commands() end

local B = 1000000000

local function norm(s, n)
  local carry = math.floor(n / B)
  return s + carry, n - carry * B
end

local function add(a_s, a_n, b_s, b_n)
  return norm(a_s + b_s, a_n + b_n)
end

local function sub(a_s, a_n, b_s, b_n)
  return norm(a_s - b_s, a_n - b_n)
end

local function le(a_s, a_n, b_s, b_n)
  return a_s < b_s or (a_s == b_s and a_n <= b_n)
end

-- k * (s, n) for a whole k below 2^32: n is split so that no partial
-- product reaches 2^53.
local function mul(k, s, n)
  local hi = math.floor(n / 100000)
  local lo = n - hi * 100000
  local k_hi = k * hi
  local carry = math.floor(k_hi / 10000)
  return norm(k * s + carry, (k_hi - carry * 10000) * 100000 + k * lo)
end

local i_s, i_n = tonumber(ARGV[1]), tonumber(ARGV[2])
local t_s, t_n = tonumber(ARGV[3]), tonumber(ARGV[4])
local now_s, now_n
if ARGV[5] then
  now_s, now_n = tonumber(ARGV[5]), tonumber(ARGV[6])
else
  local t = redis.call('TIME')
  now_s, now_n = tonumber(t[1]), tonumber(t[2]) * 1000
end

-- d = max(tat - now, 0): how far the stored TAT is ahead of now.
local d_s, d_n = 0, 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local tat_s = tonumber(string.sub(stored, 1, -10)) or 0
  local tat_n = tonumber(string.sub(stored, -9)) or 0
  if not le(tat_s, tat_n, now_s, now_n) then
    d_s, d_n = sub(tat_s, tat_n, now_s, now_n)
  end
end

local a_s, a_n = add(d_s, d_n, i_s, i_n)
if not le(a_s, a_n, t_s, t_n) then
  local r_s, r_n = sub(a_s, a_n, t_s, t_n)
  return {0, 0, d_s, d_n, r_s, r_n}
end

-- remaining = floor((tolerance - ahead) / interval): estimated in
-- doubles, then made exact with whole multiples of the interval.
local p_s, p_n = sub(t_s, t_n, a_s, a_n)
local remaining = math.floor((p_s * B + p_n) / (i_s * B + i_n))
if remaining < 0 then remaining = 0 end
local m_s, m_n = mul(remaining, i_s, i_n)
while remaining > 0 and not le(m_s, m_n, p_s, p_n) do
  remaining = remaining - 1
  m_s, m_n = mul(remaining, i_s, i_n)
end
m_s, m_n = mul(remaining + 1, i_s, i_n)
while le(m_s, m_n, p_s, p_n) do
  remaining = remaining + 1
  m_s, m_n = mul(remaining + 1, i_s, i_n)
end

-- Store now + ahead; the key expires when it is back to full quota (with
-- the test clock it is kept: the server's clock would not agree).
local tat_s, tat_n = add(now_s, now_n, a_s, a_n)
local tat = string.format('%d%09d', tat_s, tat_n)
if ARGV[5] then
  redis.call('SET', KEYS[1], tat)
else
  redis.call('SET', KEYS[1], tat, 'PX', a_s * 1000 + math.ceil(a_n / 1000000))
end
return {1, remaining, a_s, a_n, -1, 0}
