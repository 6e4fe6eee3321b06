-- ARGV: P, TTL, id, notice
-- A field of the contact's own hash, so the mark expires and is deleted with it; never
-- a key of its own that could outlive the contact.
if redis.call('EXISTS', ck(ARGV[3])) == 0 then return 0 end
return redis.call('HSETNX', ck(ARGV[3]), 'told_' .. ARGV[4], '1')
