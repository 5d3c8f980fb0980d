#include <chrono>
#include <cstdint>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/query/query_parameters.hpp"
#include "responses.hpp"
#include "route_groups.hpp"

namespace opsdb {
namespace {

using namespace route_names;

Json buffer_summary(const BufferStats& stats) {
  return {{"pending", stats.pending},
          {"failed", stats.failed},
          {"awaiting_replication", stats.awaiting_replication},
          {"oldest_pending_seconds",
           stats.oldest_pending_seconds ? Json(*stats.oldest_pending_seconds) : Json(nullptr)}};
}

// The totals, then (at a secondary site) the buffer's own counts beside them.
void overview(const ApiServices& s, Respond respond) {
  s.transfers->overview([&s, respond](Result<Read<Json>> r) {
    if (!r.ok()) return respond_error(respond, r.error(), s.read_dependency());
    auto document = std::move(r->value);
    const bool buffer_unavailable = r->buffer_unavailable;
    document["computed_at"] = format_timestamp(std::chrono::system_clock::now());
    if (!s.secondary()) {
      document["buffer"] = nullptr;
      return respond(read_response(document, false));
    }
    s.buffer->stats([respond, document = std::move(document),
                     buffer_unavailable](Result<BufferStats> stats) mutable {
      document["buffer"] = stats.ok() ? buffer_summary(*stats) : Json(nullptr);
      respond(read_response(document, buffer_unavailable || !stats.ok()));
    });
  });
}

void list_packages(const ApiServices& s, const Request& r, Respond respond) {
  s.transfers->packages(parse_package_filter(r.query), [&s, respond](Result<Read<PackagePage>> r) {
    if (!r.ok()) return respond_error(respond, r.error(), s.read_dependency());
    auto& page = r->value;
    const auto count = page.items.size();
    Json next = page.next_cursor ? Json(*page.next_cursor) : Json(nullptr);
    respond(read_response(
        {{"items", std::move(page.items)}, {"count", count}, {"next_cursor", std::move(next)}},
        r->buffer_unavailable));
  });
}

void reset_transfer(const ApiServices& s, const RequestContext& context, const PathParams& p,
                    Respond respond) {
  const auto id = parse_int_parameter("the data transfer id", p.at("id"), 1, INT32_MAX);
  const auto by = context.caller ? context.caller->user : std::string();
  s.transfers->reset_transfer(id, by, [respond](Result<Json> r) {
    if (!r.ok()) {
      return respond_main_only_error(respond, r.error(), "data transfers are reset");
    }
    respond(json_response(200, *r));
  });
}

}  // namespace

DocumentBroadcast::Compute transfer_overview_document(const ApiServices& s) {
  return [&s](Callback<DocumentBroadcast::Document> done) {
    overview(s, [done = std::move(done)](http::Response response) {
      if (response.status != 200) {
        return done(Error{Fault::unavailable,
                          "the overview answered " + std::to_string(response.status), ""});
      }
      // Its computing time changes every time; the figures are what may change.
      auto document = Json::parse(response.body, nullptr, false);
      if (document.is_object()) document.erase("computed_at");
      done(DocumentBroadcast::Document{std::move(response.body), document.dump()});
    });
  };
}

void add_transfer_routes(http::Router& router, const ApiServices& s) {
  if (s.transfers == nullptr) return;
  router.add({.method = "GET",
              .pattern = "/api/transfer/overview",
              .role = Role::viewer,
              .handler = [&s](const RequestContext&, const Request&, const PathParams&,
                              Respond respond) { overview(s, std::move(respond)); },
              .summary = "Raw data packages by state and status, transfers by status, active "
                         "transfers and the buffer, with pending writes counted",
              .response_shape = "transfer_overview"});
  if (s.overview != nullptr) {
    router.add(
        {.method = "GET",
         .pattern = "/api/transfer/ws/overview",
         .role = Role::viewer,
         .handler =
             [&s](const RequestContext&, const Request&, const PathParams&, Respond respond) {
               auto feed = websocket_feed(s.config);
               s.overview->subscribe(feed);
               respond(accept_websocket(std::move(feed)));
             },
         .success_status = 101,
         .summary = "WebSocket: the transfer overview at connect, then again each time it "
                    "changes (at most once a second)",
         .response_shape = "transfer_overview",
         .websocket = true});
  }
  router.add({.method = "GET",
              .pattern = "/api/transfer/raw-packages",
              .role = Role::viewer,
              .handler = [&s](const RequestContext&, const Request& r, const PathParams&,
                              Respond respond) { list_packages(s, r, std::move(respond)); },
              .summary = "Raw data packages with their file counts and sizes, newest first "
                         "(sort=created_asc for oldest first; keyset pagination), buffered "
                         "ones included",
              .response_shape = "package_page",
              .query_params = {
                  {"state", "string", "Only packages in this state"},
                  {"status", "string", "Only packages with this status"},
                  {"executed_obs_unit_id", "uuid", "Only packages of this observation"},
                  {"instrument_module_id", "integer", "Only packages of this instrument module"},
                  {"since", "timestamp", "Only packages created at or after this time"},
                  {"created_since", "timestamp", "The same as since"},
                  {"until", "timestamp", "Only packages created before this time"},
                  {"created_until", "timestamp", "The same as until"},
                  {"name_prefix", "string", "Only packages whose name starts with this"},
                  {"sort", "string", "created_desc (the default) or created_asc"},
                  {"limit", "integer", "Page size, 1 to 1000 (default 100)"},
                  {"cursor", "string", "The next_cursor of the previous page"}}});
  router.add(
      {.method = "POST",
       .pattern = "/api/transfer/data-transfer/{id}/reset",
       .role = Role::admin,
       .handler = [&s](const RequestContext& context, const Request&, const PathParams& p,
                       Respond respond) { reset_transfer(s, context, p, std::move(respond)); },
       .summary = "A failed data transfer back to pending, its error kept in its history "
                  "(main database; 409 unless failed)",
       .response_shape = "data_transfer"});
}

}  // namespace opsdb
