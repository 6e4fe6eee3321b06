-- ARGV: P, TTL, source hash, seconds, until, by
redis.call('SET', P .. ':blocked:' .. ARGV[3], ARGV[6], 'EX', tonumber(ARGV[4]))
redis.call('ZADD', P .. ':blocks', tonumber(ARGV[5]), ARGV[3])
-- The list lives as long as its longest block, and no longer.
if redis.call('TTL', P .. ':blocks') < tonumber(ARGV[4]) then
  redis.call('EXPIRE', P .. ':blocks', tonumber(ARGV[4]))
end
return 1
