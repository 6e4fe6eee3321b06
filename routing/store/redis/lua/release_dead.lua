-- ARGV: P, TTL, before
local procs = P .. ':procs'
local dead = redis.call('ZRANGEBYSCORE', procs, '-inf', '(' .. ARGV[3], 'WITHSCORES')
local live = {}
local gone_v, gone_c = {}, {}
if #dead == 0 then return {gone_v, gone_c} end
for i = 1, #dead, 2 do
  redis.call('ZREM', procs, dead[i])
  redis.call('SADD', P .. ':dead', dead[i])
end
redis.call('EXPIRE', P .. ':dead', TTL)
local alive = redis.call('ZRANGEBYSCORE', procs, ARGV[3], '+inf')
local function held_elsewhere(kind, member)
  for _, other in ipairs(alive) do
    if redis.call('SISMEMBER', P .. ':held:' .. kind .. ':' .. other, member) == 1 then return true end
  end
  return false
end
for i = 1, #dead, 2 do
  local proc, at = dead[i], dead[i + 1]
  for _, id in ipairs(redis.call('SMEMBERS', P .. ':held:v:' .. proc)) do
    local gone = redis.call('HGET', ck(id), 'visitor_gone_at')
    if gone and tonumber(gone) == 0 and not held_elsewhere('v', id) then
      redis.call('HSET', ck(id), 'visitor_gone_at', at)
      index('vgone', at, id)
      table.insert(gone_v, id)
    end
  end
  for _, uid in ipairs(redis.call('SMEMBERS', P .. ':held:c:' .. proc)) do
    local gone = redis.call('HGET', pk(uid), 'gone_at')
    if gone and tonumber(gone) == 0 and not held_elsewhere('c', uid) then
      redis.call('HSET', pk(uid), 'gone_at', at)
      index('cgone', at, uid)
      table.insert(gone_c, uid)
    end
  end
  redis.call('DEL', P .. ':held:v:' .. proc, P .. ':held:c:' .. proc)
end
return {gone_v, gone_c}
