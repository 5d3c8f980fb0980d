-- Gives the drain lease up, only if this process holds it.
-- KEYS: the lease. ARGV: this process's identity.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
