-- Marks transactions replicated: deletes their caches, gives their status its final lifetime
-- and takes them off the awaiting list.
-- KEYS: awaiting_replication, then one cache group per transaction.
-- ARGV: status ttl, replicated_at, events channel, n, then the n cache groups.
local n = tonumber(ARGV[4])
local k, a = 2, 5
for _ = 1, n do
  local g
  g, k, a = cache_group(k, a)
  clean_caches(g)
  redis.call('HSET', g.status, 'state', 'replicated', 'replicated_at', ARGV[2])
  redis.call('EXPIRE', g.status, ARGV[1])
  redis.call('ZREM', KEYS[1], g.id)
end
redis.call('PUBLISH', ARGV[3], cjson.encode({event = 'replicated', count = n, at = ARGV[2]}))
return n
