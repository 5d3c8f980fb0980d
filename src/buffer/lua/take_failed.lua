-- Runs commands only if this call removed an entry from the dead-letter queue, so that of two
-- operators acting on one failed transaction exactly one succeeds.
-- KEYS: failed_transactions, failed_transactions_by_id, then the keys of the commands, in order.
-- ARGV: the entry, its transaction id, then per command: its name, its key count, its argument
-- count, its arguments (its keys come from KEYS, in front of its arguments).
-- Returns 1 when the entry was taken and the commands ran, 0 when it was not there.
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
local k, a = 3, 3
while a <= #ARGV do
  local call = {ARGV[a]}
  local nk, na = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  a = a + 3
  for _ = 1, nk do call[#call + 1] = KEYS[k]; k = k + 1 end
  for _ = 1, na do call[#call + 1] = ARGV[a]; a = a + 1 end
  redis.call(unpack(call))
end
return 1
