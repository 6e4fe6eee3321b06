-- ARGV: P, TTL, id, sender, body, client_id, now, max, expected seq, author (0: anyone)
-- -> {seq, duplicate, counsellor, supervisor}; {-1, current seq} when the expected seq
-- was wrong (the caller seals again for current + 1); nil when not active or not theirs
local id, client_id = ARGV[3], ARGV[6]
local c = redis.call('HMGET', ck(id), 'state', 'seq', 'counsellor', 'supervisor')
if c[1] ~= 'active' then return nil end
local counsellor, supervisor = c[3] or '0', c[4] or '0'
if ARGV[10] ~= '0' and ARGV[10] ~= (ARGV[4] == 'supervisor' and supervisor or counsellor) then return nil end
local ids = P .. ':ids:' .. id
if client_id ~= '' then
  local known = redis.call('HGET', ids, client_id)
  if known then return {tonumber(known), 1, counsellor, supervisor} end
end
local current = tonumber(c[2] or '0')
if current + 1 ~= tonumber(ARGV[9]) then return {-1, current} end
local seq = redis.call('HINCRBY', ck(id), 'seq', 1)
local mk = P .. ':m:' .. id
redis.call('RPUSH', mk, cjson.encode({
  seq = seq, sender = ARGV[4], body = ARGV[5], ts = ARGV[7], author = tonumber(ARGV[10])}))
redis.call('LTRIM', mk, -tonumber(ARGV[8]), -1)
if client_id ~= '' then redis.call('HSET', ids, client_id, seq) end
touch(id)
return {seq, 0, counsellor, supervisor}
