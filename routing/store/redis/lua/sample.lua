-- ARGV: P, TTL, minute, "waiting,available", oldest minute to keep
local key = P .. ':samples'
redis.call('HSET', key, ARGV[3], ARGV[4])
for _, m in ipairs(redis.call('HKEYS', key)) do
  if tonumber(m) < tonumber(ARGV[5]) then redis.call('HDEL', key, m) end
end
redis.call('EXPIRE', key, TTL)
return 1
