-- The oldest transactions after skipping `skip`, oldest first: at most `count` of them and, past
-- the first, no more than `max_bytes` of documents, so a backlog of large writes never comes
-- into the drain's memory all at once.
-- KEYS: buffer. ARGV: skip, count, max_bytes.
local skip, count, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local docs, bytes = {}, 0
for i = 1, count do
  local doc = redis.call('LINDEX', KEYS[1], -(skip + i))
  if not doc then break end
  if #docs > 0 and bytes + #doc > budget then break end
  bytes = bytes + #doc
  docs[#docs + 1] = doc
end
return docs
