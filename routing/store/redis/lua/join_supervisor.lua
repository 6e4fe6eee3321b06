-- ARGV: P, TTL, id, supervisor uid
local c = redis.call('HMGET', ck(ARGV[3]), 'state', 'help', 'supervisor')
if c[1] ~= 'active' or c[2] ~= '1' or (c[3] and c[3] ~= '0') then return 0 end
redis.call('HSET', ck(ARGV[3]), 'help', '0', 'supervisor', ARGV[4])
touch(ARGV[3])
return 1
