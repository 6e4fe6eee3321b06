-- ARGV: P, TTL, id, from, to, now
local id, from, to, now = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local c = redis.call('HMGET', ck(id), 'state', 'counsellor')
if c[1] ~= 'active' or c[2] ~= from or from == to then return 0 end
if redis.call('EXISTS', pk(to)) == 0 then return 0 end
local s = redis.call('HMGET', pk(to), 'state', 'gone_at', 'capacity', 'active')
if s[1] == 'off' or tonumber(s[2]) ~= 0 or count(s[4]) >= tonumber(s[3]) then return 0 end
redis.call('HSET', ck(id), 'counsellor', to, 'transferred', '1')
redis.call('HSET', pk(to), 'active', add(s[4], id), 'free_since', now)
keep(to)
if redis.call('EXISTS', pk(from)) == 1 then
  redis.call('HSET', pk(from), 'active', remove(redis.call('HGET', pk(from), 'active'), id), 'free_since', now)
  keep(from)
end
touch(id)
return 1
