-- In front of every script (Redis runs each script on its own, so helpers cannot be
-- shared any other way). ARGV[1] is the key prefix and ARGV[2] the TTL in seconds, for
-- every script; a script's own arguments start at ARGV[3].
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
-- Whether a counsellor's centres (joined with ",") include this one. The default centre
-- is "": an empty list, or an empty item in it (",uppsala").
local function serves(centres, centre)
  centres = centres or ''
  if centre == '' then
    return centres == '' or string.sub(centres, 1, 1) == ',' or string.sub(centres, -1) == ','
      or string.find(centres, ',,', 1, true) ~= nil
  end
  return contains(centres, centre)
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
