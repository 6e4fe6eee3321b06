-- ARGV: P, TTL, id, at
local id = ARGV[3]
if redis.call('EXISTS', ck(id)) == 0 then return 0 end
redis.call('HSET', ck(id), 'visitor_gone_at', ARGV[4])
if tonumber(ARGV[4]) > 0 then index('vgone', ARGV[4], id) else redis.call('ZREM', P .. ':vgone', id) end
touch(id)
return 1
