-- Buffers the transaction of an Idempotency-Key once: when the key's marker exists, returns the
-- request hash it holds and changes nothing; otherwise sets the marker (with its expiry) and
-- runs the enqueue commands, all in this one atomic step.
-- KEYS: the marker, then the keys of the commands in order.
-- ARGV: request hash, marker ttl (seconds), command count, then per command: name, key count,
-- argument count, the arguments.
local recorded = redis.call('GET', KEYS[1])
if recorded then return recorded end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
local k, a = 2, 4
for _ = 1, tonumber(ARGV[3]) do
  local command = {ARGV[a]}
  local nkeys, nargs = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  a = a + 3
  for _ = 1, nkeys do
    command[#command + 1] = KEYS[k]
    k = k + 1
  end
  for _ = 1, nargs do
    command[#command + 1] = ARGV[a]
    a = a + 1
  end
  redis.call(unpack(command))
end
return false
