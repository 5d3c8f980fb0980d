-- Marks transactions replicated: deletes their caches, gives their status its final lifetime
-- and takes them off the awaiting list.
-- KEYS: awaiting_replication, events stream, then one cache group per transaction.
-- ARGV: status ttl, replicated_at, events kept, n, then the n cache groups.
local n = tonumber(ARGV[4])
local k, a = 3, 5
for _ = 1, n do
  local g
  g, k, a = cache_group(k, a)
  clean_caches(g)
  redis.call('HSET', g.status, 'state', 'replicated', 'replicated_at', ARGV[2])
  add_event(KEYS[2], ARGV[3], 'replicated', g.status, g.id, ARGV[2])
  redis.call('EXPIRE', g.status, ARGV[1])
  redis.call('ZREM', KEYS[1], g.id)
end
return n
