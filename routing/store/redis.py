"""Redis backend of the live-state store (production, any number of server processes).

Key layout (every key starts with ``{prefix}:`` and carries a TTL of ``ttl`` seconds,
refreshed on every write, so nothing can outlive an abandoned conversation):

- ``c:{id}`` hash: one contact (the fields of ``routing.state.Contact`` plus ``tok``,
  the keyed hash of its resumption token, so ``end`` can delete the token key)
- ``q`` sorted set: waiting contacts, scored by ``policy.queue_score``
- ``tok:{hash}`` string: token hash -> contact id
- ``m:{id}`` list: the conversation's messages as JSON; ``ids:{id}`` hash: client
  message id -> seq, for idempotent resends
- ``offers`` / ``vgone`` sorted sets: pending offers by expiry, absent visitors by time;
  ``help`` sorted set: conversations whose counsellor asked for a supervisor, by time
  (``end`` removes its id; one answered or requeued is dropped when the set is read)
- ``p:{uid}`` hash: one counsellor (``active`` is a comma-separated list of contact ids);
  ``ps`` set: counsellor ids; ``cgone`` sorted set: absent consoles by time
- ``procs`` sorted set: server processes by last heartbeat; ``dead`` set: processes
  declared dead that have not beaten since; ``held:v:{proc}`` /
  ``held:c:{proc}`` sets: the contact ids / counsellor ids whose socket that process
  holds (so that the others can mark them gone if it is killed without warning)
- ``w:{id}:{uid}``: a one-use wrap-up ticket; ``agg`` hash: mean handling time;
  ``samples`` hash: minute -> "waiting,available" for the dashboard's chart;
  ``blocked:{hash}``: a blocked source (a keyed hash of an address) -> the blocking
  counsellor's display name, for BLOCK_SECONDS; ``blocks`` zset: hash -> until;
  ``starts:{hash}``: contacts started from a source in the current START_WINDOW_SECONDS

Every operation that reads and then writes runs as one Lua script, so it is atomic
across processes: that is what makes double assignment impossible. Scripts build key
names from the prefix, which standalone Redis and Sentinel allow and Redis Cluster
does not (channels-redis does not support Cluster either).
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections import OrderedDict
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from chatservice.redis_hosts import async_pool
from routing.policy import queue_score
from routing.state import Contact, Counsellor, CounsellorState, Message, Sender
from routing.store.base import (
    HANDLE_EMA_WEIGHT,
    MAX_MESSAGES,
    SAMPLE_MINUTES,
    Appended,
    Body,
    HeldKind,
    Store,
    body_for,
)

MESSAGES_TAIL = 16  # how much of a conversation's end one delivery reads first
SEQ_CACHE_SIZE = 20_000  # conversations whose last seq this process remembers

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

_FLOATS = ("enqueued_at", "routed_at", "offer_expires", "answered_at", "visitor_gone_at")
_INTS = ("offered_to", "counsellor", "supervisor", "seq", "visitor_ack", "counsellor_ack", "not_for")


def _contact_fields(c: Contact) -> dict[str, str]:
    return {
        "id": c.id,
        "channel": c.channel,
        "language": c.language,
        "kind": c.kind,
        "danger": "1" if c.danger else "0",
        "skill": c.skill,
        "state": c.state,
        "requeued": "1" if c.requeued else "0",
        "help": "1" if c.help else "0",
        "key": c.key,
        "source": c.source,
        **{name: repr(float(getattr(c, name))) for name in _FLOATS},
        **{name: str(int(getattr(c, name))) for name in _INTS},
    }


def _contact(raw: dict[str, str]) -> Contact:
    return Contact(
        id=raw["id"],
        channel=raw["channel"],  # type: ignore[arg-type]
        language=raw["language"],
        kind=raw.get("kind", ""),
        danger=raw.get("danger") == "1",
        skill=raw.get("skill", ""),
        state=raw["state"],  # type: ignore[arg-type]
        requeued=raw.get("requeued") == "1",
        help=raw.get("help") == "1",
        key=raw.get("key", ""),
        source=raw.get("source", ""),
        **{name: float(raw.get(name, "0")) for name in _FLOATS},  # type: ignore[arg-type]
        **{name: int(raw.get(name, "0")) for name in _INTS},
    )


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(",") if v)


def _counsellor(raw: dict[str, str]) -> Counsellor:
    return Counsellor(
        id=int(raw["id"]),
        name=raw.get("name", ""),
        languages=_split(raw.get("languages")),
        skills=_split(raw.get("skills")),
        capacity=int(raw.get("capacity", "1")),
        phone=raw.get("phone") == "1",
        state=raw.get("state", "off"),  # type: ignore[arg-type]
        active=_split(raw.get("active")),
        offers=int(raw.get("offers", "0")),
        free_since=float(raw.get("free_since", "0")),
        gone_at=float(raw.get("gone_at", "0")),
    )


def _pairs(flat: list[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


class RedisStore(Store):
    def __init__(
        self, url: str, *, prefix: str, ttl: int, max_connections: int, host: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        # How to reach Redis: REDIS_URL's address or a Sentinel set (chatservice/redis_hosts.py).
        self.host = host or {"address": url, "max_connections": max_connections}
        self.prefix = prefix
        self.ttl = ttl
        self.max_connections = max_connections
        # redis.asyncio connections belong to the event loop that made them: one client
        # per loop (daphne has one; tests and sync_to_async threads may have others).
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[aioredis.Redis, dict[str, AsyncScript]]
        ] = weakref.WeakKeyDictionary()
        # The last seq this process saw per conversation: append's first guess.
        self._seqs: OrderedDict[str, int] = OrderedDict()

    def _client(self) -> tuple[aioredis.Redis, dict[str, AsyncScript]]:
        loop = asyncio.get_running_loop()
        found = self._clients.get(loop)
        if found is None:
            pool = async_pool(self.host, decode_responses=True)
            client = aioredis.Redis.from_pool(pool)  # owns the pool: aclose() disconnects it
            scripts = {name: client.register_script(PRELUDE + body) for name, body in SCRIPTS.items()}
            found = (client, scripts)
            self._clients[loop] = found
        return found

    @property
    def redis(self) -> Any:
        # Typed as Any: with decode_responses=True every reply is str, which redis-py's
        # bytes-or-str stubs cannot express.
        return self._client()[0]

    async def _run(self, name: str, *args: Any) -> Any:
        scripts = self._client()[1]
        return await scripts[name](keys=[], args=[self.prefix, self.ttl, *args])

    def _key(self, *parts: str | int) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    async def _live_contacts(self, ids: list[str], index: str) -> list[Contact]:
        """The contacts behind index members; members whose hash expired are dropped."""
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hgetall(self._key("c", cid))
            raws: list[dict[str, str]] = await pipe.execute()
        out, dangling = [], []
        for cid, raw in zip(ids, raws, strict=True):
            if raw:
                out.append(_contact(raw))
            else:
                dangling.append(cid)
        if dangling:
            await self.redis.zrem(self._key(index), *dangling)
        return out

    # --- contacts and the queue ---
    async def add_contact(self, contact: Contact, token_hash: str) -> None:
        fields = _contact_fields(contact)
        flat = [item for pair in fields.items() for item in pair]
        await self._run("add", contact.id, token_hash, queue_score(contact), *flat)

    async def get_contact(self, contact_id: str) -> Contact | None:
        raw = await self.redis.hgetall(self._key("c", contact_id))
        return _contact(raw) if raw else None

    async def contact_for_token(self, token_hash: str) -> str | None:
        found: str | None = await self.redis.get(self._key("tok", token_hash))
        return found

    async def queue(self) -> list[Contact]:
        ids = await self.redis.zrange(self._key("q"), 0, -1)
        return [c for c in await self._live_contacts(ids, "q") if c.state in ("queued", "offered")]

    async def position(self, contact_id: str) -> int | None:
        # ZRANK, not a walk of the whole queue: every waiting visitor asks whenever the
        # queue moves, so this must stay O(log n). An expired member ahead may count for
        # a moment, until the next full read of the queue drops it.
        rank = await self.redis.zrank(self._key("q"), contact_id)
        return None if rank is None else int(rank) + 1

    async def offer(self, contact_id: str, counsellor_id: int, expires_at: float) -> bool:
        return bool(await self._run("offer", contact_id, counsellor_id, repr(float(expires_at))))

    async def withdraw_offer(self, contact_id: str, counsellor_id: int, *, away: bool) -> bool:
        return bool(await self._run("withdraw", contact_id, counsellor_id, "1" if away else "0"))

    async def accept(self, contact_id: str, counsellor_id: int, now: float) -> bool:
        return bool(await self._run("accept", contact_id, counsellor_id, repr(float(now))))

    async def _requeue(
        self, contact_id: str, counsellor_id: int, language: str, skill: str | None, not_for: int = 0
    ) -> bool:
        contact = await self.get_contact(contact_id)
        if contact is None:
            return False
        contact.requeued = True  # danger and arrival time never change: the score is safe to compute here
        skill_arg = "-" if skill is None else skill
        score = queue_score(contact)
        return bool(
            await self._run(
                "requeue", contact_id, counsellor_id, score, language, skill_arg, repr(time.time()), int(not_for)
            )
        )

    async def requeue(self, contact_id: str, counsellor_id: int, *, not_for: int = 0) -> bool:
        return await self._requeue(contact_id, counsellor_id, "", None, not_for)

    async def retarget(self, contact_id: str, counsellor_id: int, *, language: str = "", skill: str = "") -> bool:
        return await self._requeue(contact_id, counsellor_id, language, skill)

    async def transfer(self, contact_id: str, from_id: int, to_id: int, now: float) -> bool:
        return bool(await self._run("transfer", contact_id, from_id, to_id, repr(float(now))))

    async def request_help(self, contact_id: str, counsellor_id: int) -> bool:
        return bool(await self._run("request_help", contact_id, counsellor_id, repr(time.time())))

    async def help_requests(self) -> list[Contact]:
        ids = await self.redis.zrange(self._key("help"), 0, -1)
        asking: list[Contact] = []
        answered: list[Contact] = []
        for c in await self._live_contacts(ids, "help"):
            (asking if c.help and c.state == "active" else answered).append(c)
        if answered:
            await self.redis.zrem(self._key("help"), *[c.id for c in answered])
        return asking

    async def join_supervisor(self, contact_id: str, supervisor_id: int) -> bool:
        return bool(await self._run("join_supervisor", contact_id, supervisor_id))

    async def leave_supervisor(self, contact_id: str, supervisor_id: int) -> bool:
        return bool(await self._run("leave_supervisor", contact_id, supervisor_id))

    async def open_wrapup(self, contact_id: str, counsellor_id: int) -> None:
        await self.redis.set(self._key("w", contact_id, counsellor_id), "1", ex=self.ttl)

    async def take_wrapup(self, contact_id: str, counsellor_id: int) -> bool:
        return bool(await self.redis.delete(self._key("w", contact_id, counsellor_id)))

    async def end(self, contact_id: str) -> Contact | None:
        self._seqs.pop(contact_id, None)
        flat = await self._run("end", contact_id, repr(time.time()))
        return _contact(_pairs(flat)) if flat else None

    async def set_visitor_gone(self, contact_id: str, at: float) -> None:
        await self._run("visitor_gone", contact_id, repr(float(at)))

    async def expired_offers(self, now: float) -> list[tuple[str, int]]:
        ids = await self.redis.zrangebyscore(self._key("offers"), "-inf", now)
        return [(c.id, c.offered_to) for c in await self._live_contacts(ids, "offers") if c.state == "offered"]

    async def visitors_gone_before(self, before: float) -> list[str]:
        ids = await self.redis.zrangebyscore(self._key("vgone"), "(0", before)
        return [c.id for c in await self._live_contacts(ids, "vgone") if 0 < c.visitor_gone_at <= before]

    # --- the conversation ---
    async def append_message(
        self, contact_id: str, sender: Sender, body: Body, client_id: str, now: float, *, author: int = 0
    ) -> Appended | None:
        # Optimistic: seal for the seq this process last saw + 1, and let the script
        # refuse (saying the real one) if another message took it meanwhile. Lua cannot
        # encrypt, and the seq is part of the seal. The guess saves a round trip per message.
        known = self._seqs.get(contact_id)
        if known is None:
            known = int(await self.redis.hget(self._key("c", contact_id), "seq") or 0)
        expected = known + 1
        for _attempt in range(50):
            result = await self._run(
                "append",
                contact_id,
                sender,
                body_for(body, expected),
                client_id,
                repr(float(now)),
                MAX_MESSAGES,
                expected,
                author,
            )
            if result is None:
                self._seqs.pop(contact_id, None)
                return None
            if int(result[0]) != -1:
                self._remember_seq(contact_id, int(result[0]))
                return Appended(int(result[0]), bool(result[1]), int(result[2]), int(result[3]))
            expected = int(result[1]) + 1
        raise RuntimeError("could not append: the conversation is too busy")

    def _remember_seq(self, contact_id: str, seq: int) -> None:
        if seq > self._seqs.get(contact_id, 0):
            self._seqs[contact_id] = seq
            self._seqs.move_to_end(contact_id)
            if len(self._seqs) > SEQ_CACHE_SIZE:
                self._seqs.popitem(last=False)

    async def messages_after(self, contact_id: str, seq: int) -> list[Message]:
        # A delivery usually wants the last message or two: read the end of the list,
        # and the rest only if the end does not reach back far enough.
        key = self._key("m", contact_id)
        items = [json.loads(item) for item in await self.redis.lrange(key, -MESSAGES_TAIL, -1)]
        if len(items) == MESSAGES_TAIL and int(items[0]["seq"]) > seq + 1:
            older = await self.redis.lrange(key, 0, -MESSAGES_TAIL - 1)
            # Appends in between only lengthen the list's end, so older + items may
            # overlap; the seq filter below drops the repeats.
            items = [json.loads(item) for item in older] + items
        out, seen = [], set()
        for data in items:
            number = int(data["seq"])
            if number > seq and number not in seen:
                seen.add(number)
                out.append(
                    Message(number, data["sender"], data["body"], float(data["ts"]), int(data.get("author") or 0))
                )
        if out:
            self._remember_seq(contact_id, out[-1].seq)
        return out

    async def ack(self, contact_id: str, role: Sender, seq: int, *, author: int = 0) -> bool:
        if role not in ("visitor", "counsellor"):
            return True  # nothing is kept for other roles
        return bool(await self._run("ack", contact_id, f"{role}_ack", seq, author))

    # --- counsellors ---
    async def upsert_counsellor(self, counsellor: Counsellor) -> Counsellor:
        c = counsellor
        flat = await self._run(
            "upsert",
            c.id,
            c.name,
            ",".join(c.languages),
            ",".join(c.skills),
            c.capacity,
            c.state,
            ",".join(c.active),
            c.offers,
            repr(float(c.free_since)),
            repr(float(c.gone_at)),
            "1" if c.phone else "0",
        )
        return _counsellor({**_pairs(flat), "id": str(c.id)})

    async def get_counsellor(self, counsellor_id: int) -> Counsellor | None:
        raw = await self.redis.hgetall(self._key("p", counsellor_id))
        return _counsellor({**raw, "id": str(counsellor_id)}) if raw else None

    async def counsellors(self) -> list[Counsellor]:
        uids = sorted(int(u) for u in await self.redis.smembers(self._key("ps")))
        if not uids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in uids:
                pipe.hgetall(self._key("p", uid))
            raws: list[dict[str, str]] = await pipe.execute()
        out, dangling = [], []
        for uid, raw in zip(uids, raws, strict=True):
            if raw:
                out.append(_counsellor({**raw, "id": str(uid)}))
            else:
                dangling.append(uid)
        if dangling:
            await self.redis.srem(self._key("ps"), *dangling)
        return out

    async def set_counsellor_state(self, counsellor_id: int, state: CounsellorState, now: float) -> Counsellor | None:
        flat = await self._run("state", counsellor_id, state, repr(float(now)))
        return _counsellor({**_pairs(flat), "id": str(counsellor_id)}) if flat else None

    async def set_counsellor_gone(self, counsellor_id: int, at: float) -> None:
        await self._run("counsellor_gone", counsellor_id, repr(float(at)))

    async def counsellors_gone_before(self, before: float) -> list[int]:
        uids = [int(u) for u in await self.redis.zrangebyscore(self._key("cgone"), "(0", before)]
        out = []
        for uid in uids:
            c = await self.get_counsellor(uid)
            if c is None:
                await self.redis.zrem(self._key("cgone"), uid)
            elif 0 < c.gone_at <= before:
                out.append(uid)
        return out

    async def remove_counsellor(self, counsellor_id: int) -> None:
        await self.redis.delete(self._key("p", counsellor_id))
        await self.redis.srem(self._key("ps"), counsellor_id)
        await self.redis.zrem(self._key("cgone"), counsellor_id)

    # --- aggregates ---
    async def record_handle_time(self, seconds: float) -> None:
        await self._run("handle", repr(float(seconds)), HANDLE_EMA_WEIGHT)

    async def mean_handle_time(self, default: float) -> float:
        mean = await self.redis.hget(self._key("agg"), "mean")
        return default if mean is None else float(mean)

    async def block_source(self, source: str, seconds: int, by: str = "") -> None:
        await self._run("block", source, int(seconds), repr(time.time() + seconds), by)

    async def is_blocked(self, source: str) -> bool:
        return bool(await self.redis.exists(self._key("blocked", source)))

    async def blocks(self) -> list[tuple[str, float, str]]:
        key = self._key("blocks")
        await self.redis.zremrangebyscore(key, "-inf", time.time())
        found = await self.redis.zrange(key, 0, -1, withscores=True)
        if not found:
            return []
        names = await self.redis.mget([self._key("blocked", source) for source, _until in found])
        # A name gone with its key means the block just ended: not in force any more.
        return [(source, float(until), by) for (source, until), by in zip(found, names, strict=True) if by is not None]

    async def lift_block(self, source: str) -> bool:
        removed = await self.redis.delete(self._key("blocked", source))
        await self.redis.zrem(self._key("blocks"), source)
        return bool(removed)

    async def take_start(self, source: str, limit: int, window: int) -> bool:
        return bool(await self._run("start", source, limit, window))

    async def record_sample(self, minute: int, waiting: int, available: int) -> None:
        await self._run("sample", minute, f"{waiting},{available}", minute - SAMPLE_MINUTES)

    async def samples(self, since_minute: int) -> list[tuple[int, int, int]]:
        raw = await self.redis.hgetall(self._key("samples"))
        out = []
        for minute, value in raw.items():
            if int(minute) >= since_minute:
                waiting, available = value.split(",")
                out.append((int(minute), int(waiting), int(available)))
        return sorted(out)

    # --- maintenance ---
    async def sweep(self) -> int:
        repaired = 0
        for uid in await self.redis.smembers(self._key("ps")):
            repaired += int(await self._run("prune", uid, repr(time.time())))
        await self.counsellors()  # drops ids of counsellors whose record expired
        return repaired

    async def hold(self, process: str, kind: HeldKind, member: str, held: bool, now: float) -> None:
        await self._run("hold", process, kind, member, "1" if held else "0", repr(float(now)))

    async def heartbeat(self, process: str, now: float) -> bool:
        return bool(await self._run("heartbeat", process, repr(float(now))))

    async def release_dead(self, before: float) -> tuple[list[str], list[int]]:
        visitors, counsellors = await self._run("release_dead", repr(float(before)))
        return list(visitors), [int(u) for u in counsellors]

    async def flush(self) -> None:
        batch: list[str] = []
        layer = f"{self.prefix}:layer"
        async for key in self.redis.scan_iter(match=f"{self.prefix}:*", count=500):
            if key.startswith(layer):
                continue  # the channel layer's, not ours
            batch.append(key)
            if len(batch) >= 500:
                await self.redis.unlink(*batch)
                batch = []
        if batch:
            await self.redis.unlink(*batch)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        found = self._clients.pop(loop, None)
        if found is not None:
            await found[0].aclose()
