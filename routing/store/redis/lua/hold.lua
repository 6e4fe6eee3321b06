-- ARGV: P, TTL, process, kind, member, held (1/0), now
local set = P .. ':held:' .. ARGV[4] .. ':' .. ARGV[3]
if ARGV[6] == '1' then redis.call('SADD', set, ARGV[5]) else redis.call('SREM', set, ARGV[5]) end
redis.call('EXPIRE', set, TTL)
redis.call('ZADD', P .. ':procs', ARGV[7], ARGV[3])
redis.call('EXPIRE', P .. ':procs', TTL)
return 1
