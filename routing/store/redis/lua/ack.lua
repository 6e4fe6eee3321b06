-- ARGV: P, TTL, id, field, seq, author (a counsellor's uid, or 0: anyone)
local id = ARGV[3]
local c = redis.call('HMGET', ck(id), ARGV[4], 'seq', 'state', 'counsellor')
if not c[2] then return 0 end
if ARGV[6] ~= '0' and (c[3] ~= 'active' or c[4] ~= ARGV[6]) then return 0 end
local new = math.min(tonumber(ARGV[5]), tonumber(c[2]))
if new > tonumber(c[1] or '0') then redis.call('HSET', ck(id), ARGV[4], new) end
touch(id)
return 1
