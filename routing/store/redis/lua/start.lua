-- ARGV: P, TTL, source hash, limit, window seconds
local key = P .. ':starts:' .. ARGV[3]
local n = redis.call('INCR', key)
if n == 1 then redis.call('EXPIRE', key, tonumber(ARGV[5])) end
if n > tonumber(ARGV[4]) then return 0 end
return 1
