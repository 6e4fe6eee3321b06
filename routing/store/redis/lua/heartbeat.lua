-- ARGV: P, TTL, process, now
local known = redis.call('ZSCORE', P .. ':procs', ARGV[3])
-- Declared dead by another process: a hold() since then may have put it back in
-- procs, but its owners are still marked gone until it says again who is here.
local was_dead = redis.call('SREM', P .. ':dead', ARGV[3])
redis.call('ZADD', P .. ':procs', ARGV[4], ARGV[3])
redis.call('EXPIRE', P .. ':procs', TTL)
for _, kind in ipairs({'v', 'c'}) do redis.call('EXPIRE', P .. ':held:' .. kind .. ':' .. ARGV[3], TTL) end
if known and was_dead == 0 then return 1 end
return 0
