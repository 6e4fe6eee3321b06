-- ARGV: P, TTL, id, uid, away (1/0)
local id, uid = ARGV[3], ARGV[4]
local c = redis.call('HMGET', ck(id), 'state', 'offered_to')
if c[1] ~= 'offered' or c[2] ~= uid then return 0 end
redis.call('HSET', ck(id), 'state', 'queued', 'offered_to', '0', 'offer_expires', '0.0')
redis.call('ZREM', P .. ':offers', id)
touch(id)
if redis.call('EXISTS', pk(uid)) == 1 then
  local s = redis.call('HMGET', pk(uid), 'state', 'offers')
  redis.call('HSET', pk(uid), 'offers', math.max(0, tonumber(s[2]) - 1))
  if ARGV[5] == '1' and s[1] == 'available' then redis.call('HSET', pk(uid), 'state', 'away') end
  keep(uid)
end
return 1
