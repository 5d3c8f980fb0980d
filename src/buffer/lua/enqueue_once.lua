-- Buffers a transaction at most once, guarded by a key, in this one atomic step. Two guards:
-- * an Idempotency-Key's marker (ARGV[1] is the request hash): when the marker exists, returns
--   the request hash it holds and changes nothing; otherwise sets the marker (with its expiry)
--   and buffers the transaction;
-- * the transaction's status hash (ARGV[1] is empty), for the replay of the local journal: when
--   it exists the transaction was buffered before; returns '' and changes nothing.
-- KEYS: the guard, then the keys of the commands in order.
-- ARGV: request hash or '', marker ttl (seconds), command count, then per command: name, key
-- count, argument count, the arguments.
if ARGV[1] == '' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return '' end
else
  local recorded = redis.call('GET', KEYS[1])
  if recorded then return recorded end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
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
