"""The Lua scripts, one per operation that reads and then writes."""

PRELUDE = """
local P = ARGV[1]
local TTL = tonumber(ARGV[2])
local function ck(id) return P .. ':c:' .. id end
local function pk(uid) return P .. ':p:' .. uid end
local function count(list)
  if not list or list == '' then return 0 end
  local n = 1
  for _ in string.gmatch(list, ',') do n = n + 1 end
  return n
end
local function add(list, id)
  if not list or list == '' then return id end
  return list .. ',' .. id
end
local function remove(list, id)
  local out = {}
  for item in string.gmatch(list or '', '[^,]+') do
    if item ~= id then table.insert(out, item) end
  end
  return table.concat(out, ',')
end
local function contains(list, id)
  for item in string.gmatch(list or '', '[^,]+') do
    if item == id then return true end
  end
  return false
end
local function touch(id)
  redis.call('EXPIRE', ck(id), TTL)
  redis.call('EXPIRE', P .. ':m:' .. id, TTL)
  redis.call('EXPIRE', P .. ':ids:' .. id, TTL)
  local tok = redis.call('HGET', ck(id), 'tok')
  if tok then redis.call('EXPIRE', P .. ':tok:' .. tok, TTL) end
  -- An index must live as long as its longest-lived member.
  for _, key in ipairs({'q', 'offers', 'vgone'}) do redis.call('EXPIRE', P .. ':' .. key, TTL) end
end
local function index(key, score, member)
  redis.call('ZADD', P .. ':' .. key, score, member)
  redis.call('EXPIRE', P .. ':' .. key, TTL)
end
local function keep(uid)
  redis.call('EXPIRE', pk(uid), TTL)
  redis.call('EXPIRE', P .. ':ps', TTL)
  redis.call('EXPIRE', P .. ':cgone', TTL)
end
"""

SCRIPTS = {
    # ARGV: P, TTL, id, tok, score, then field/value pairs
    "add": """
local id = ARGV[3]
local pairs = {}
for i = 6, #ARGV do table.insert(pairs, ARGV[i]) end
redis.call('HSET', ck(id), 'tok', ARGV[4], unpack(pairs))
redis.call('SET', P .. ':tok:' .. ARGV[4], id, 'EX', TTL)
touch(id)
index('q', ARGV[5], id)
return 1
""",
    # ARGV: P, TTL, id, uid, expires
    "offer": """
local id, uid = ARGV[3], ARGV[4]
if redis.call('HGET', ck(id), 'state') ~= 'queued' then return 0 end
if redis.call('EXISTS', pk(uid)) == 0 then return 0 end
local s = redis.call('HMGET', pk(uid), 'state', 'gone_at', 'offers', 'capacity', 'active')
if s[1] ~= 'available' or tonumber(s[2]) ~= 0 or tonumber(s[3]) ~= 0 then return 0 end
if count(s[5]) >= tonumber(s[4]) then return 0 end
redis.call('HSET', ck(id), 'state', 'offered', 'offered_to', uid, 'offer_expires', ARGV[5])
redis.call('HINCRBY', pk(uid), 'offers', 1)
index('offers', ARGV[5], id)
touch(id)
keep(uid)
return 1
""",
    # ARGV: P, TTL, id, uid, away (1/0)
    "withdraw": """
local id, uid = ARGV[3], ARGV[4]
local c = redis.call('HMGET', ck(id), 'state', 'offered_to')
if c[1] ~= 'offered' or c[2] ~= uid then return 0 end
redis.call('HSET', ck(id), 'state', 'queued', 'offered_to', '0', 'offer_expires', '0.0')
redis.call('ZREM', P .. ':offers', id)
touch(id)
if redis.call('EXISTS', pk(uid)) == 1 then
  local s = redis.call('HMGET', pk(uid), 'state', 'offers')
  redis.call('HSET', pk(uid), 'offers', math.max(0, tonumber(s[2]) - 1))
  if ARGV[5] == '1' and s[1] == 'available' then redis.call('HSET', pk(uid), 'state', 'away') end
  keep(uid)
end
return 1
""",
    # ARGV: P, TTL, id, uid, now
    "accept": """
local id, uid, now = ARGV[3], ARGV[4], ARGV[5]
local c = redis.call('HMGET', ck(id), 'state', 'offered_to', 'answered_at', 'not_for')
if not c[1] then return 0 end
if c[4] == uid then return 0 end
if redis.call('EXISTS', pk(uid)) == 0 then return 0 end
local s = redis.call('HMGET', pk(uid), 'state', 'capacity', 'active', 'offers')
if s[1] == 'off' then return 0 end
local offered_here = c[1] == 'offered' and c[2] == uid
if not (offered_here or c[1] == 'queued') then return 0 end
if count(s[3]) >= tonumber(s[2]) then return 0 end
if offered_here then redis.call('HSET', pk(uid), 'offers', math.max(0, tonumber(s[4]) - 1)) end
redis.call('HSET', ck(id), 'state', 'active', 'offered_to', '0', 'offer_expires', '0.0', 'counsellor', uid,
  'requeued', '0')
if tonumber(c[3]) == 0 then redis.call('HSET', ck(id), 'answered_at', now) end
redis.call('HSET', pk(uid), 'active', add(s[3], id), 'free_since', now)
redis.call('ZREM', P .. ':q', id)
redis.call('ZREM', P .. ':offers', id)
touch(id)
keep(uid)
return 1
""",
    # ARGV: P, TTL, id, uid, score, language ('' keeps), skill ('-' keeps), now, not_for ('0' keeps)
    "requeue": """
local id, uid = ARGV[3], ARGV[4]
local c = redis.call('HMGET', ck(id), 'state', 'counsellor')
if c[1] ~= 'active' or c[2] ~= uid then return 0 end
redis.call('HSET', ck(id), 'state', 'queued', 'counsellor', '0', 'requeued', '1', 'help', '0', 'supervisor', '0')
if ARGV[6] ~= '' then redis.call('HSET', ck(id), 'language', ARGV[6]) end
if ARGV[7] ~= '-' then redis.call('HSET', ck(id), 'skill', ARGV[7], 'routed_at', ARGV[8]) end
if ARGV[9] ~= '0' then redis.call('HSET', ck(id), 'not_for', ARGV[9]) end
index('q', ARGV[5], id)
touch(id)
if redis.call('EXISTS', pk(uid)) == 1 then
  redis.call('HSET', pk(uid), 'active', remove(redis.call('HGET', pk(uid), 'active'), id))
  keep(uid)
end
return 1
""",
    # ARGV: P, TTL, id, from, to, now
    "transfer": """
local id, from, to, now = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local c = redis.call('HMGET', ck(id), 'state', 'counsellor')
if c[1] ~= 'active' or c[2] ~= from or from == to then return 0 end
if redis.call('EXISTS', pk(to)) == 0 then return 0 end
local s = redis.call('HMGET', pk(to), 'state', 'gone_at', 'capacity', 'active')
if s[1] == 'off' or tonumber(s[2]) ~= 0 or count(s[4]) >= tonumber(s[3]) then return 0 end
redis.call('HSET', ck(id), 'counsellor', to)
redis.call('HSET', pk(to), 'active', add(s[4], id), 'free_since', now)
keep(to)
if redis.call('EXISTS', pk(from)) == 1 then
  redis.call('HSET', pk(from), 'active', remove(redis.call('HGET', pk(from), 'active'), id), 'free_since', now)
  keep(from)
end
touch(id)
return 1
""",
    # ARGV: P, TTL, source hash, seconds, until, by
    "block": """
redis.call('SET', P .. ':blocked:' .. ARGV[3], ARGV[6], 'EX', tonumber(ARGV[4]))
redis.call('ZADD', P .. ':blocks', tonumber(ARGV[5]), ARGV[3])
-- The list lives as long as its longest block, and no longer.
if redis.call('TTL', P .. ':blocks') < tonumber(ARGV[4]) then
  redis.call('EXPIRE', P .. ':blocks', tonumber(ARGV[4]))
end
return 1
""",
    # ARGV: P, TTL, source hash, limit, window seconds
    "start": """
local key = P .. ':starts:' .. ARGV[3]
local n = redis.call('INCR', key)
if n == 1 then redis.call('EXPIRE', key, tonumber(ARGV[5])) end
if n > tonumber(ARGV[4]) then return 0 end
return 1
""",
    # ARGV: P, TTL, minute, "waiting,available", oldest minute to keep
    "sample": """
local key = P .. ':samples'
redis.call('HSET', key, ARGV[3], ARGV[4])
for _, m in ipairs(redis.call('HKEYS', key)) do
  if tonumber(m) < tonumber(ARGV[5]) then redis.call('HDEL', key, m) end
end
redis.call('EXPIRE', key, TTL)
return 1
""",
    # ARGV: P, TTL, uid -> how many dangling contact ids were dropped
    "prune": """
local uid, now = ARGV[3], ARGV[4]
if redis.call('EXISTS', pk(uid)) == 0 then return 0 end
local active = redis.call('HGET', pk(uid), 'active')
local kept, dropped = {}, 0
for item in string.gmatch(active or '', '[^,]+') do
  if redis.call('EXISTS', ck(item)) == 1 then table.insert(kept, item) else dropped = dropped + 1 end
end
if dropped > 0 then redis.call('HSET', pk(uid), 'active', table.concat(kept, ','), 'free_since', now) end
-- A pending offer whose contact expired would block this counsellor for good.
local offers = 0
for _, id in ipairs(redis.call('ZRANGE', P .. ':offers', 0, -1)) do
  local c = redis.call('HMGET', ck(id), 'state', 'offered_to')
  if c[1] == 'offered' and c[2] == uid then offers = offers + 1 end
end
if offers ~= tonumber(redis.call('HGET', pk(uid), 'offers') or '0') then
  redis.call('HSET', pk(uid), 'offers', offers)
  dropped = dropped + 1
end
return dropped
""",
    # ARGV: P, TTL, id, uid, now
    "request_help": """
local c = redis.call('HMGET', ck(ARGV[3]), 'state', 'counsellor', 'supervisor')
if c[1] ~= 'active' or c[2] ~= ARGV[4] or (c[3] and c[3] ~= '0') then return 0 end
redis.call('HSET', ck(ARGV[3]), 'help', '1')
touch(ARGV[3])
-- Indexed so the dashboard need not read every conversation to find the few asking;
-- a member no longer asking (answered, requeued, ended) is dropped when read.
index('help', tonumber(ARGV[5]), ARGV[3])
return 1
""",
    # ARGV: P, TTL, id, supervisor uid
    "join_supervisor": """
local c = redis.call('HMGET', ck(ARGV[3]), 'state', 'help', 'supervisor')
if c[1] ~= 'active' or c[2] ~= '1' or (c[3] and c[3] ~= '0') then return 0 end
redis.call('HSET', ck(ARGV[3]), 'help', '0', 'supervisor', ARGV[4])
touch(ARGV[3])
return 1
""",
    # ARGV: P, TTL, id, supervisor uid
    "leave_supervisor": """
if ARGV[4] == '0' or redis.call('HGET', ck(ARGV[3]), 'supervisor') ~= ARGV[4] then return 0 end
redis.call('HSET', ck(ARGV[3]), 'supervisor', '0')
touch(ARGV[3])
return 1
""",
    # ARGV: P, TTL, id, now -> the contact's fields before deletion, or nil
    "end": """
local id, now = ARGV[3], ARGV[4]
local all = redis.call('HGETALL', ck(id))
if #all == 0 then return nil end
local f = {}
for i = 1, #all, 2 do f[all[i]] = all[i + 1] end
redis.call('DEL', ck(id), P .. ':m:' .. id, P .. ':ids:' .. id)
if f['tok'] then redis.call('DEL', P .. ':tok:' .. f['tok']) end
redis.call('ZREM', P .. ':q', id)
redis.call('ZREM', P .. ':offers', id)
redis.call('ZREM', P .. ':vgone', id)
redis.call('ZREM', P .. ':help', id)
local seen = {}
for _, uid in ipairs({f['counsellor'], f['offered_to']}) do
  if uid and uid ~= '0' and not seen[uid] and redis.call('EXISTS', pk(uid)) == 1 then
    seen[uid] = true
    local s = redis.call('HMGET', pk(uid), 'active', 'offers')
    if contains(s[1], id) then
      redis.call('HSET', pk(uid), 'active', remove(s[1], id), 'free_since', now)
    end
    if f['state'] == 'offered' and f['offered_to'] == uid then
      redis.call('HSET', pk(uid), 'offers', math.max(0, tonumber(s[2]) - 1))
    end
    keep(uid)
  end
end
return all
""",
    # ARGV: P, TTL, id, at
    "visitor_gone": """
local id = ARGV[3]
if redis.call('EXISTS', ck(id)) == 0 then return 0 end
redis.call('HSET', ck(id), 'visitor_gone_at', ARGV[4])
if tonumber(ARGV[4]) > 0 then index('vgone', ARGV[4], id) else redis.call('ZREM', P .. ':vgone', id) end
touch(id)
return 1
""",
    # ARGV: P, TTL, id, sender, body, client_id, now, max, expected seq, author (0: anyone)
    # -> {seq, duplicate, counsellor, supervisor}; {-1, current seq} when the expected seq
    # was wrong (the caller seals again for current + 1); nil when not active or not theirs
    "append": """
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
""",
    # ARGV: P, TTL, id, field, seq, author (a counsellor's uid, or 0: anyone)
    "ack": """
local id = ARGV[3]
local c = redis.call('HMGET', ck(id), ARGV[4], 'seq', 'state', 'counsellor')
if not c[2] then return 0 end
if ARGV[6] ~= '0' and (c[3] ~= 'active' or c[4] ~= ARGV[6]) then return 0 end
local new = math.min(tonumber(ARGV[5]), tonumber(c[2]))
if new > tonumber(c[1] or '0') then redis.call('HSET', ck(id), ARGV[4], new) end
touch(id)
return 1
""",
    # ARGV: P, TTL, uid, name, languages, skills, capacity, then the live fields
    "upsert": """
local uid = ARGV[3]
if redis.call('EXISTS', pk(uid)) == 1 then
  redis.call('HSET', pk(uid), 'name', ARGV[4], 'languages', ARGV[5], 'skills', ARGV[6], 'capacity', ARGV[7],
    'phone', ARGV[13])
else
  redis.call('HSET', pk(uid), 'name', ARGV[4], 'languages', ARGV[5], 'skills', ARGV[6], 'capacity', ARGV[7],
    'state', ARGV[8], 'active', ARGV[9], 'offers', ARGV[10], 'free_since', ARGV[11], 'gone_at', ARGV[12],
    'phone', ARGV[13])
end
redis.call('SADD', P .. ':ps', uid)
keep(uid)
return redis.call('HGETALL', pk(uid))
""",
    # ARGV: P, TTL, uid, state, now
    "state": """
local uid = ARGV[3]
if redis.call('EXISTS', pk(uid)) == 0 then return nil end
if ARGV[4] == 'available' and redis.call('HGET', pk(uid), 'state') ~= 'available' then
  redis.call('HSET', pk(uid), 'free_since', ARGV[5])
end
redis.call('HSET', pk(uid), 'state', ARGV[4])
keep(uid)
return redis.call('HGETALL', pk(uid))
""",
    # ARGV: P, TTL, uid, at
    "counsellor_gone": """
local uid = ARGV[3]
if redis.call('EXISTS', pk(uid)) == 0 then return 0 end
redis.call('HSET', pk(uid), 'gone_at', ARGV[4])
if tonumber(ARGV[4]) > 0 then index('cgone', ARGV[4], uid) else redis.call('ZREM', P .. ':cgone', uid) end
keep(uid)
return 1
""",
    # ARGV: P, TTL, process, kind, member, held (1/0), now
    "hold": """
local set = P .. ':held:' .. ARGV[4] .. ':' .. ARGV[3]
if ARGV[6] == '1' then redis.call('SADD', set, ARGV[5]) else redis.call('SREM', set, ARGV[5]) end
redis.call('EXPIRE', set, TTL)
redis.call('ZADD', P .. ':procs', ARGV[7], ARGV[3])
redis.call('EXPIRE', P .. ':procs', TTL)
return 1
""",
    # ARGV: P, TTL, process, now
    "heartbeat": """
local known = redis.call('ZSCORE', P .. ':procs', ARGV[3])
-- Declared dead by another process: a hold() since then may have put it back in
-- procs, but its owners are still marked gone until it says again who is here.
local was_dead = redis.call('SREM', P .. ':dead', ARGV[3])
redis.call('ZADD', P .. ':procs', ARGV[4], ARGV[3])
redis.call('EXPIRE', P .. ':procs', TTL)
for _, kind in ipairs({'v', 'c'}) do redis.call('EXPIRE', P .. ':held:' .. kind .. ':' .. ARGV[3], TTL) end
if known and was_dead == 0 then return 1 end
return 0
""",
    # ARGV: P, TTL, before
    "release_dead": """
local procs = P .. ':procs'
local dead = redis.call('ZRANGEBYSCORE', procs, '-inf', '(' .. ARGV[3], 'WITHSCORES')
local live = {}
local gone_v, gone_c = {}, {}
if #dead == 0 then return {gone_v, gone_c} end
for i = 1, #dead, 2 do
  redis.call('ZREM', procs, dead[i])
  redis.call('SADD', P .. ':dead', dead[i])
end
redis.call('EXPIRE', P .. ':dead', TTL)
local alive = redis.call('ZRANGEBYSCORE', procs, ARGV[3], '+inf')
local function held_elsewhere(kind, member)
  for _, other in ipairs(alive) do
    if redis.call('SISMEMBER', P .. ':held:' .. kind .. ':' .. other, member) == 1 then return true end
  end
  return false
end
for i = 1, #dead, 2 do
  local proc, at = dead[i], dead[i + 1]
  for _, id in ipairs(redis.call('SMEMBERS', P .. ':held:v:' .. proc)) do
    local gone = redis.call('HGET', ck(id), 'visitor_gone_at')
    if gone and tonumber(gone) == 0 and not held_elsewhere('v', id) then
      redis.call('HSET', ck(id), 'visitor_gone_at', at)
      index('vgone', at, id)
      table.insert(gone_v, id)
    end
  end
  for _, uid in ipairs(redis.call('SMEMBERS', P .. ':held:c:' .. proc)) do
    local gone = redis.call('HGET', pk(uid), 'gone_at')
    if gone and tonumber(gone) == 0 and not held_elsewhere('c', uid) then
      redis.call('HSET', pk(uid), 'gone_at', at)
      index('cgone', at, uid)
      table.insert(gone_c, uid)
    end
  end
  redis.call('DEL', P .. ':held:v:' .. proc, P .. ':held:c:' .. proc)
end
return {gone_v, gone_c}
""",
    # ARGV: P, TTL, seconds, weight
    "handle": """
local key = P .. ':agg'
local mean = redis.call('HGET', key, 'mean')
local s = tonumber(ARGV[3])
if mean then s = tonumber(mean) + tonumber(ARGV[4]) * (s - tonumber(mean)) end
redis.call('HSET', key, 'mean', string.format('%.17g', s))
redis.call('EXPIRE', key, TTL)
return 1
""",
}
