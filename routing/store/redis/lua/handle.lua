-- ARGV: P, TTL, seconds, weight
local key = P .. ':agg'
local mean = redis.call('HGET', key, 'mean')
local s = tonumber(ARGV[3])
if mean then s = tonumber(mean) + tonumber(ARGV[4]) * (s - tonumber(mean)) end
redis.call('HSET', key, 'mean', string.format('%.17g', s))
redis.call('EXPIRE', key, TTL)
return 1
