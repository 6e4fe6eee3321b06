-- ARGV: P, TTL, uid, name, languages, skills, capacity, then the live fields, phone, centres, aliases,
-- and per centre: languages_at, skills_at, capacity_at
local uid = ARGV[3]
if redis.call('EXISTS', pk(uid)) == 1 then
  redis.call('HSET', pk(uid), 'name', ARGV[4], 'languages', ARGV[5], 'skills', ARGV[6], 'capacity', ARGV[7],
    'phone', ARGV[13], 'centres', ARGV[14], 'aliases', ARGV[15],
    'languages_at', ARGV[16], 'skills_at', ARGV[17], 'capacity_at', ARGV[18])
else
  redis.call('HSET', pk(uid), 'name', ARGV[4], 'languages', ARGV[5], 'skills', ARGV[6], 'capacity', ARGV[7],
    'state', ARGV[8], 'active', ARGV[9], 'offers', ARGV[10], 'free_since', ARGV[11], 'gone_at', ARGV[12],
    'phone', ARGV[13], 'centres', ARGV[14], 'aliases', ARGV[15],
    'languages_at', ARGV[16], 'skills_at', ARGV[17], 'capacity_at', ARGV[18])
end
redis.call('SADD', P .. ':ps', uid)
keep(uid)
return redis.call('HGETALL', pk(uid))
