-- Shared by the scripts that change the state of transactions (prepended to them when they are
-- loaded): adds one transaction's event to the site's events stream, trimmed to about `maxlen`
-- entries, in the form transaction_event() writes (src/events/transaction_event.cpp). The
-- subject comes from the transaction's status hash, where the enqueue left it.
local function add_event(stream, maxlen, kind, status, id, at, extra)
  local event = '{"event":"' .. kind .. '","transaction_id":' .. cjson.encode(id)
  local subject = redis.call('HGET', status, 'subject')
  if subject and subject ~= '' then event = event .. ',' .. subject end
  event = event .. ',"at":' .. cjson.encode(at) .. (extra or '') .. '}'
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'e', event)
end
