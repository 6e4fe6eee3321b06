-- ARGV: P, TTL, uid, now -> how many dangling contact ids (and wrong offer counts) were repaired
local uid, now = ARGV[3], ARGV[4]
if redis.call('EXISTS', pk(uid)) == 0 then return 0 end
local active = redis.call('HGET', pk(uid), 'active')
local kept, dropped = {}, 0
for item in string.gmatch(active or '', '[^,]+') do
  if redis.call('EXISTS', ck(item)) == 1 then table.insert(kept, item) else dropped = dropped + 1 end
end
if dropped > 0 then redis.call('HSET', pk(uid), 'active', table.concat(kept, ','), 'free_since', now) end
-- A pending offer whose contact expired would block this counsellor for good.
local offers = 0
for _, id in ipairs(redis.call('ZRANGE', P .. ':offers', 0, -1)) do
  local c = redis.call('HMGET', ck(id), 'state', 'offered_to')
  if c[1] == 'offered' and c[2] == uid then offers = offers + 1 end
end
if offers ~= tonumber(redis.call('HGET', pk(uid), 'offers') or '0') then
  redis.call('HSET', pk(uid), 'offers', offers)
  dropped = dropped + 1
end
return dropped
