-- ARGV: P, TTL, uid, state, now
local uid = ARGV[3]
if redis.call('EXISTS', pk(uid)) == 0 then return nil end
if ARGV[4] == 'available' and redis.call('HGET', pk(uid), 'state') ~= 'available' then
  redis.call('HSET', pk(uid), 'free_since', ARGV[5])
end
redis.call('HSET', pk(uid), 'state', ARGV[4])
keep(uid)
return redis.call('HGETALL', pk(uid))
