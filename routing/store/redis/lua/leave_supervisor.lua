-- ARGV: P, TTL, id, supervisor uid
if ARGV[4] == '0' or redis.call('HGET', ck(ARGV[3]), 'supervisor') ~= ARGV[4] then return 0 end
redis.call('HSET', ck(ARGV[3]), 'supervisor', '0')
touch(ARGV[3])
return 1
