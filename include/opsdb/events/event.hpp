#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "opsdb/core/message_feed.hpp"

namespace opsdb {

/// The position of an event in the site's recent-events stream: `<milliseconds>-<sequence>`,
/// as Redis numbers stream entries. Ordered as the events happened.
struct EventId {
  std::uint64_t ms = 0;
  std::uint64_t seq = 0;

  /// Null for anything but two decimal numbers joined by '-'.
  static std::optional<EventId> parse(std::string_view text);
  std::string to_string() const;
  auto operator<=>(const EventId&) const = default;
};

/// One transaction event (DESIGN §9, `WS /ws/events`): what happened to a transaction, and the
/// message its subscribers receive, `{"id", "event", "transaction_id", "origin", "table",
/// "record_ids", "record_count", "obs_unit_id"?, "lsn"?, "error"?, "at"}`.
struct Event {
  EventId id;
  std::string kind;  // buffered, applied, replicated, failed, replayed, resolved
  std::string transaction_id;
  std::string table;
  std::vector<std::string> record_ids;
  std::optional<std::int64_t> obs_unit_id;
  /// The message as sent: the event's JSON with its id in front. Shared by every subscriber.
  MessageFeed::Message message;

  /// Reads an event as the stream holds it (its JSON without the id); null when it is not an
  /// event object (the stream is written only by this program's scripts, but is not trusted).
  static std::optional<Event> parse(EventId id, std::string_view payload);
};

/// The message that tells a subscriber it missed events: `{"event":"gap", "since", "reason"}`.
MessageFeed::Message gap_message(std::string_view since, std::string_view reason);

}  // namespace opsdb
