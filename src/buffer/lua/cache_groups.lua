-- Shared by the scripts that delete the caches of transactions (prepended to them when they are
-- loaded). A cache group describes what one transaction wrote at enqueue, read beforehand from
-- its status hash by the caller:
--   KEYS: its status hash, then r record caches, i index sets, o read-buffer overlays;
--   ARGV: its id, r, i, o, then the member each of the i index sets holds for it.

-- The group starting at KEYS[k] and ARGV[a], and the positions right after it.
local function cache_group(k, a)
  local g = {status = KEYS[k], id = ARGV[a], records = {}, index = {}, overlays = {}}
  local r, i, o = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  k, a = k + 1, a + 4
  for j = 1, r do g.records[j] = KEYS[k]; k = k + 1 end
  for j = 1, i do g.index[j] = {KEYS[k], ARGV[a]}; k, a = k + 1, a + 1 end
  for j = 1, o do g.overlays[j] = KEYS[k]; k = k + 1 end
  return g, k, a
end

-- Deletes the caches of a group. An overlay goes only if no later transaction touched it: it
-- then still describes a write that has not reached the replica.
local function clean_caches(g)
  for _, key in ipairs(g.records) do redis.call('DEL', key) end
  for _, entry in ipairs(g.index) do redis.call('ZREM', entry[1], entry[2]) end
  for _, key in ipairs(g.overlays) do
    if redis.call('HGET', key, '_last_tx') == g.id then redis.call('DEL', key) end
  end
  redis.call('HDEL', g.status, 'cache_keys')
end
