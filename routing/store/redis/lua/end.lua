-- ARGV: P, TTL, id, now -> the contact's fields before deletion, or nil
local id, now = ARGV[3], ARGV[4]
local all = redis.call('HGETALL', ck(id))
if #all == 0 then return nil end
local f = {}
for i = 1, #all, 2 do f[all[i]] = all[i + 1] end
redis.call('DEL', ck(id), P .. ':m:' .. id, P .. ':ids:' .. id)
if f['tok'] then redis.call('DEL', P .. ':tok:' .. f['tok']) end
redis.call('ZREM', P .. ':q', id)
redis.call('ZREM', P .. ':offers', id)
redis.call('ZREM', P .. ':vgone', id)
redis.call('ZREM', P .. ':help', id)
local seen = {}
for _, uid in ipairs({f['counsellor'], f['offered_to']}) do
  if uid and uid ~= '0' and not seen[uid] and redis.call('EXISTS', pk(uid)) == 1 then
    seen[uid] = true
    local s = redis.call('HMGET', pk(uid), 'active', 'offers')
    if contains(s[1], id) then
      redis.call('HSET', pk(uid), 'active', remove(s[1], id), 'free_since', now)
    end
    if f['state'] == 'offered' and f['offered_to'] == uid then
      redis.call('HSET', pk(uid), 'offers', math.max(0, tonumber(s[2]) - 1))
    end
    keep(uid)
  end
end
return all
