-- Counts a failed attempt of a transaction, only while this process holds the drain lease, so a
-- drainer that lost its lease mid-call cannot count the same attempt a second time.
-- KEYS: the lease, the transaction's status hash. ARGV: this process's identity, the error.
-- Returns the new number of attempts.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LEASE lost') end
local attempts = redis.call('HINCRBY', KEYS[2], 'attempts', 1)
redis.call('HSET', KEYS[2], 'error', ARGV[2])
return attempts
