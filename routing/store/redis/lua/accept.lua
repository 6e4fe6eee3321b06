-- ARGV: P, TTL, id, uid, now
local id, uid, now = ARGV[3], ARGV[4], ARGV[5]
local c = redis.call('HMGET', ck(id), 'state', 'offered_to', 'answered_at', 'not_for', 'centre')
if not c[1] then return 0 end
if c[4] == uid then return 0 end
if redis.call('EXISTS', pk(uid)) == 0 then return 0 end
local s = redis.call('HMGET', pk(uid), 'state', 'capacity', 'active', 'offers', 'centres')
if s[1] == 'off' then return 0 end
if not serves(s[5], c[5] or '') then return 0 end  -- another centre's contact, even if just handed over
local offered_here = c[1] == 'offered' and c[2] == uid
if not (offered_here or c[1] == 'queued') then return 0 end
if count(s[3]) >= tonumber(s[2]) then return 0 end
if offered_here then redis.call('HSET', pk(uid), 'offers', math.max(0, tonumber(s[4]) - 1)) end
redis.call('HSET', ck(id), 'state', 'active', 'offered_to', '0', 'offer_expires', '0.0', 'counsellor', uid,
  'requeued', '0', 'transferred', '0')
if tonumber(c[3]) == 0 then redis.call('HSET', ck(id), 'answered_at', now) end
redis.call('HSET', pk(uid), 'active', add(s[3], id), 'free_since', now)
redis.call('ZREM', P .. ':q', id)
redis.call('ZREM', P .. ':offers', id)
touch(id)
keep(uid)
return 1
