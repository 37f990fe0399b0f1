-- Stores a ban and tells every instance. KEYS[1]: the client's ban.
-- ARGV[1]: the ban (JSON); ARGV[2]: its time to live (ms); ARGV[3]: the
-- bans channel; ARGV[4]: the message.
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('PUBLISH', ARGV[3], ARGV[4])
