#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// At most this many record ids are named in an event; `record_count` gives them all.
inline constexpr std::size_t kEventRecordIds = 50;

/// What every event of a transaction says about it, as the members of a JSON object without
/// the braces: `"origin", "table"` (of its first step), `"record_ids", "record_count"` and
/// `"obs_unit_id"` when one of its rows names one. Kept with the transaction's status, so the
/// scripts that mark it applied, replicated or failed can repeat it without parsing anything.
std::string event_subject(const Transaction& tx);

/// The event `kind` of the transaction `tx_id` with that subject at `at`, as the stream holds
/// it; `extra` are further members, each with its leading comma (`,"lsn":"0/16B3748"`).
std::string transaction_event(std::string_view kind, std::string_view tx_id,
                              std::string_view subject, std::string_view at,
                              std::string_view extra = {});

}  // namespace opsdb
