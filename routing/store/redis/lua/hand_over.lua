-- ARGV: P, TTL, id, centre, now
-- Only a contact nobody has been offered: an offer or a conversation stays where it is.
local id = ARGV[3]
if redis.call('HGET', ck(id), 'state') ~= 'queued' then return 0 end
redis.call('HSET', ck(id), 'centre', ARGV[4], 'routed_at', ARGV[5])
touch(id)
return 1
