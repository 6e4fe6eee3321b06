-- ARGV: P, TTL, uid, until
-- Only a counsellor who is still here: a rest must not bring back an expired record.
local uid = ARGV[3]
if redis.call('EXISTS', pk(uid)) == 0 then return 0 end
redis.call('HSET', pk(uid), 'rest_until', ARGV[4])
keep(uid)
return 1
