-- Moves the oldest transaction to the dead-letter queue and deletes its caches, only if the
-- lease is still held and the buffer still ends with it.
-- KEYS: buffer, lease, failed_transactions, failed_transactions_by_id, events stream, then the
-- transaction's cache group.
-- ARGV: identity, doc, dead-letter entry, error, attempts, events kept, failed_at, then the
-- group.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('LEASE lost') end
if redis.call('LINDEX', KEYS[1], -1) ~= ARGV[2] then
  return redis.error_reply('MISMATCH buffer tail changed')
end
redis.call('RPOP', KEYS[1])
redis.call('LPUSH', KEYS[3], ARGV[3])
local g = cache_group(6, 8)
redis.call('HSET', KEYS[4], g.id, ARGV[3])
clean_caches(g)
redis.call('HSET', g.status, 'state', 'failed', 'error', ARGV[4], 'attempts', ARGV[5])
add_event(KEYS[5], ARGV[6], 'failed', g.status, g.id, ARGV[7], ',"error":' .. cjson.encode(ARGV[4]))
return 1
