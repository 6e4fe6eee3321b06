-- ARGV: P, TTL, id, uid, now
local c = redis.call('HMGET', ck(ARGV[3]), 'state', 'counsellor', 'supervisor')
if c[1] ~= 'active' or c[2] ~= ARGV[4] or (c[3] and c[3] ~= '0') then return 0 end
redis.call('HSET', ck(ARGV[3]), 'help', '1')
touch(ARGV[3])
-- Indexed so the dashboard need not read every conversation to find the few asking;
-- a member no longer asking (answered, requeued, ended) is dropped when read.
index('help', tonumber(ARGV[5]), ARGV[3])
return 1
