#include <memory>

#include "opsdb/events/event_filter.hpp"
#include "responses.hpp"
#include "route_groups.hpp"

namespace opsdb {

using namespace route_names;

namespace {

std::optional<EventId> resume_position(const Request& r) {
  auto it = r.query.find("since");
  if (it == r.query.end()) return std::nullopt;
  auto id = EventId::parse(it->second);
  if (!id) {
    throw ApiError(ErrorKind::bad_request,
                   "query parameter since: not an event id (the id of an event received)");
  }
  return id;
}

}  // namespace

void add_event_routes(http::Router& router, const ApiServices& s) {
  if (s.events == nullptr) return;
  router.add(
      {.method = "GET",
       .pattern = "/ws/events",
       .role = Role::viewer,
       .handler =
           [&s](const RequestContext&, const Request& r, const PathParams&, Respond respond) {
             auto filter = EventFilter::from_query(r.query);
             auto since = resume_position(r);
             auto feed = websocket_feed(s.config);
             s.events->subscribe(feed, std::move(filter), since);
             respond(accept_websocket(std::move(feed)));
           },
       .success_status = 101,
       .summary = "WebSocket: every transaction event of the site (buffered, applied, "
                  "replicated, failed, replayed, resolved) as one JSON message each, in order",
       .response_shape = "transaction_event",
       .query_params =
           {{"event", "string", "Only these kinds of event (comma-separated)"},
            {"table", "string", "Only events of transactions on these tables (comma-separated)"},
            {"record_id", "uuid", "Only events of transactions that write this record"},
            {"obs_unit_id", "integer", "Only events of transactions naming this obs unit"},
            {"since", "string",
             "Resume: first the events after this event id that are still kept, or a gap "
             "message"}},
       .websocket = true});
}

}  // namespace opsdb
