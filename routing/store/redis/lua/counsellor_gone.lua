-- ARGV: P, TTL, uid, at
local uid = ARGV[3]
if redis.call('EXISTS', pk(uid)) == 0 then return 0 end
redis.call('HSET', pk(uid), 'gone_at', ARGV[4])
if tonumber(ARGV[4]) > 0 then index('cgone', ARGV[4], uid) else redis.call('ZREM', P .. ':cgone', uid) end
keep(uid)
return 1
