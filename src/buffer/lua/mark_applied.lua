-- Removes an applied batch from the buffer and marks its transactions applied, only if the
-- lease is still held and the batch is still the oldest: a drainer that lost its lease, or a
-- batch the buffer no longer ends with, changes nothing.
-- KEYS: buffer, lease, awaiting_replication, events stream, then one cache group per
-- transaction (empty groups when replication is tracked: the caches then live until the
-- replica has the writes).
-- ARGV: identity, lsn score, lsn, applied_at, tracked ('1'/'0'), status ttl, events kept, n,
-- doc_1..doc_n (oldest first), then the n cache groups.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('LEASE lost') end
local n = tonumber(ARGV[8])
local tail = redis.call('LRANGE', KEYS[1], -n, -1)
if #tail ~= n then return redis.error_reply('MISMATCH buffer shorter than batch') end
for i = 1, n do
  if tail[n - i + 1] ~= ARGV[8 + i] then return redis.error_reply('MISMATCH buffer tail changed') end
end
redis.call('RPOP', KEYS[1], n)
local k, a = 5, 9 + n
for _ = 1, n do
  local g
  g, k, a = cache_group(k, a)
  redis.call('HSET', g.status, 'state', 'applied', 'lsn', ARGV[3], 'applied_at', ARGV[4])
  add_event(KEYS[4], ARGV[7], 'applied', g.status, g.id, ARGV[4], ',"lsn":' .. cjson.encode(ARGV[3]))
  if ARGV[5] == '1' then
    redis.call('ZADD', KEYS[3], ARGV[2], g.id)
  else
    clean_caches(g)
    redis.call('EXPIRE', g.status, ARGV[6])
  end
end
return n
