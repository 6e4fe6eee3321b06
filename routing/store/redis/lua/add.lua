-- ARGV: P, TTL, id, tok, score, then field/value pairs
local id = ARGV[3]
local pairs = {}
for i = 6, #ARGV do table.insert(pairs, ARGV[i]) end
redis.call('HSET', ck(id), 'tok', ARGV[4], unpack(pairs))
redis.call('SET', P .. ':tok:' .. ARGV[4], id, 'EX', TTL)
touch(id)
index('q', ARGV[5], id)
return 1
