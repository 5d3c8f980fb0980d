-- Takes or renews the single-drainer lease.
-- KEYS: the lease. ARGV: this process's identity, the lease's lifetime in ms.
-- Returns 1 when this process holds the lease, 0 when another one does.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
