-- Lifts a ban and tells every instance; forgets the client's strikes in
-- the window (not its offences), as the in-process store does.
-- KEYS[1]: the client's ban; KEYS[2]: its strikes. ARGV[1]: the bans
-- channel; ARGV[2]: the message.
local removed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return removed
