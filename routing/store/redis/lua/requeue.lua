-- ARGV: P, TTL, id, uid, score, language ('' keeps), skill ('-' keeps), now, not_for ('0' keeps)
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
