-- ARGV: P, TTL, id, uid, expires
local id, uid = ARGV[3], ARGV[4]
local c = redis.call('HMGET', ck(id), 'state', 'centre')
if c[1] ~= 'queued' then return 0 end
if redis.call('EXISTS', pk(uid)) == 0 then return 0 end
local s = redis.call('HMGET', pk(uid), 'state', 'gone_at', 'offers', 'capacity', 'active', 'centres')
-- Checked here, in the same step: a hand-over may have moved the contact to another
-- centre since the routing decision was made.
if not serves(s[6], c[2] or '') then return 0 end
if s[1] ~= 'available' or tonumber(s[2]) ~= 0 or tonumber(s[3]) ~= 0 then return 0 end
if count(s[5]) >= tonumber(s[4]) then return 0 end
redis.call('HSET', ck(id), 'state', 'offered', 'offered_to', uid, 'offer_expires', ARGV[5])
redis.call('HINCRBY', pk(uid), 'offers', 1)
index('offers', ARGV[5], id)
touch(id)
keep(uid)
return 1
