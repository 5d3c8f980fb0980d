#include "opsdb/api/routes.hpp"

#include "opsdb/api/direct_writer.hpp"
#include "opsdb/api/reference_check.hpp"
#include "opsdb/api/status_json.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/processor/drain_processor.hpp"
#include "opsdb/processor/lsn_tracker.hpp"
#include "opsdb/query/read_queries.hpp"

namespace opsdb {
namespace {

using http::PathParams;
using http::Request;
using http::Respond;
using http::Response;
using http::Role;

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

// Builds the transaction of one critical endpoint from its request.
using Build =
    std::function<BuiltWrite(const TransactionBuilder&, const Request&, const PathParams&)>;

// The one path every critical endpoint takes: validate and build → check references → execute
// or buffer → respond.
http::Handler write_handler(const ApiServices& s, Build build) {
  return [&s, build = std::move(build)](const Request& request, const PathParams& params,
                                        Respond respond) {
    auto write = std::make_shared<BuiltWrite>(build(s.builder, request, params));
    s.references.check(write->tx, [&s, write, respond](std::optional<ApiError> error) {
      if (error) return respond(http::error_response(*error));
      auto body = write->response;
      body["transaction_id"] = write->tx.id;
      const int status = write->http_status;
      s.writes.submit(std::move(*write),
                      [respond, body = std::move(body), status](WriteResult r) mutable {
                        if (r.error) return respond(http::error_response(*r.error));
                        body["status"] = r.status;
                        respond(json_response(status, body));
                      });
    });
  };
}

// Body of a request whose fields are all optional: an empty body means no fields.
nlohmann::json optional_body(const Request& request) {
  return request.body.empty() ? nlohmann::json::object() : parse_body(request.body);
}

// Runs a read returning at most one document: 404 when there is none.
void read_one(Database& db, SqlQuery query, const char* table, std::string not_found,
              Respond respond) {
  db.query(std::move(query), [respond = std::move(respond), table,
                              not_found = std::move(not_found)](Result<nlohmann::json> r) {
    if (!r.ok()) {
      respond(http::error_response(to_api_error(r.error())));
      return;
    }
    if (r->empty()) {
      respond(http::error_response(ApiError(ErrorKind::not_found, not_found)));
      return;
    }
    auto doc = std::move((*r)[0]);
    normalize_record(table, doc);
    respond(json_response(200, doc));
  });
}

void read_page(Database& db, const ObservationFilter& filter, Respond respond) {
  db.query(observations(filter),
           [respond = std::move(respond), limit = filter.limit](Result<nlohmann::json> r) {
             if (!r.ok()) {
               respond(http::error_response(to_api_error(r.error())));
               return;
             }
             respond(json_response(200, observation_page(std::move(*r), limit)));
           });
}

constexpr const char* kBufferUnavailable =
    "the transaction buffer (Redis) is unavailable; the write was not accepted";

// The client-facing error of a buffer operation; a 503 says `unavailable`.
ApiError buffer_error(const Error& error, const char* unavailable = kBufferUnavailable) {
  if (error.is(Fault::not_found)) return ApiError(ErrorKind::not_found, error.message);
  if (error.is(Fault::conflict)) return ApiError(ErrorKind::conflict, error.message);
  return ApiError(ErrorKind::unavailable, unavailable);
}

// Answers a replay or resolve of a dead letter: the transaction and its new status.
Callback<void> reply_dead_letter(std::string tx_id, const char* status, Respond respond) {
  return [tx_id = std::move(tx_id), status, respond = std::move(respond)](Result<void> r) {
    if (!r.ok())
      return respond(http::error_response(buffer_error(r.error(), "Redis is unavailable")));
    respond(json_response(200, {{"transaction_id", tx_id}, {"status", status}}));
  };
}

// /health at a secondary site (DESIGN §9): unhealthy when Redis, the local database or the
// processor is gone; degraded when the buffer is large, anything failed, or the main database
// is unreachable.
void secondary_health(const ApiServices& s, Respond respond) {
  s.inspector->stats([&s, respond](Result<BufferStats> result) {
    auto [local_status, doc] = s.health.report();
    const auto processor = to_json(s.processor->snapshot());
    const bool redis_ok = result.ok();
    const auto stats = redis_ok ? to_json(*result) : nlohmann::json(nullptr);
    std::vector<std::string> problems;
    bool unhealthy = local_status == 503 || !redis_ok || !s.processor->running();
    if (!redis_ok) problems.push_back("redis unreachable");
    if (!s.processor->running()) problems.push_back("background processor stopped");
    if (local_status == 503) problems.push_back("local database unreachable");
    bool degraded = false;
    if (redis_ok && stats["pending_transactions"].get<long long>() > s.config.alert_buffer_size) {
      degraded = true;
      problems.push_back("transaction buffer above " + std::to_string(s.config.alert_buffer_size));
    }
    if (redis_ok && stats["failed_transactions"].get<long long>() > 0) {
      degraded = true;
      problems.push_back("failed transactions await an operator");
    }
    if (processor["status"] == "waiting_for_main_db") {
      degraded = true;
      problems.push_back("main database unreachable");
    }
    const auto lsn = s.lsn ? to_json(s.lsn->snapshot()) : nlohmann::json::object();
    if (lsn.value("stalled", false)) {
      degraded = true;
      problems.push_back("replication stalled");
    }
    doc["status"] = unhealthy ? "unhealthy" : (degraded ? "degraded" : "healthy");
    doc["problems"] = problems;
    doc["redis"] = redis_ok ? "connected" : "unreachable";
    doc["main_database"] =
        processor["status"] == "waiting_for_main_db" ? "unreachable" : "reachable";
    doc["transaction_buffer"] = {
        {"size", redis_ok ? stats["pending_transactions"] : nlohmann::json(nullptr)},
        {"failed", redis_ok ? stats["failed_transactions"] : nlohmann::json(nullptr)},
        {"oldest_pending_seconds",
         redis_ok ? stats["oldest_pending_seconds"] : nlohmann::json(nullptr)},
        {"awaiting_replication",
         redis_ok ? stats["awaiting_replication"] : nlohmann::json(nullptr)}};
    doc["background_processor"] = processor;
    doc["replication"] = lsn;
    respond(json_response(unhealthy ? 503 : 200, doc));
  });
}

void add_buffer_routes(http::Router& router, const ApiServices& s) {
  router.add(
      {"GET", "/health", Role::open, [&s](const Request&, const PathParams&, Respond respond) {
         secondary_health(s, std::move(respond));
       }});
  router.add({"GET", "/buffer-stats", Role::open,
              [&s](const Request&, const PathParams&, Respond respond) {
                s.inspector->stats([&s, respond](Result<BufferStats> stats) {
                  if (!stats.ok())
                    return respond(http::error_response(buffer_error(stats.error())));
                  auto doc = to_json(*stats);
                  const auto processor = to_json(s.processor->snapshot());
                  doc["processing_rate"] = processor["processing_rate"];
                  doc["average_execution_time_ms"] = processor["average_execution_time_ms"];
                  doc["processor_status"] = processor["status"];
                  respond(json_response(200, doc));
                });
              }});
  router.add({"GET", "/transactions/{tx_id}", Role::viewer,
              [&s](const Request&, const PathParams& p, Respond respond) {
                s.inspector->status(
                    path_uuid(p.at("tx_id"), "transaction id"),
                    [respond](Result<TransactionStatus> status) {
                      if (!status.ok()) {
                        return respond(http::error_response(buffer_error(status.error())));
                      }
                      respond(json_response(200, to_json(*status)));
                    });
              }});
  router.add({"GET", "/admin/failed-transactions", Role::admin,
              [&s](const Request& r, const PathParams&, Respond respond) {
                std::size_t limit = 100;
                if (auto it = r.query.find("limit"); it != r.query.end()) {
                  try {
                    limit = std::stoul(it->second);
                  } catch (const std::exception&) {
                    limit = 0;
                  }
                  if (limit < 1 || limit > 10'000) {
                    throw ApiError(ErrorKind::bad_request, "limit must be between 1 and 10000");
                  }
                }
                s.dead_letters->list(limit, [respond](Result<std::vector<FailedTransaction>> r) {
                  if (!r.ok()) return respond(http::error_response(buffer_error(r.error())));
                  nlohmann::json items = nlohmann::json::array();
                  for (const auto& failed : *r) items.push_back(to_json(failed));
                  const auto count = items.size();
                  respond(json_response(200, {{"items", std::move(items)}, {"count", count}}));
                });
              }});
  router.add({"POST", "/admin/failed-transactions/{tx_id}/replay", Role::admin,
              [&s](const Request&, const PathParams& p, Respond respond) {
                auto id = path_uuid(p.at("tx_id"), "transaction id");
                s.dead_letters->replay(id, reply_dead_letter(id, "buffered", std::move(respond)));
              }});
  router.add({"POST", "/admin/failed-transactions/{tx_id}/resolve", Role::admin,
              [&s](const Request& r, const PathParams& p, Respond respond) {
                auto id = path_uuid(p.at("tx_id"), "transaction id");
                auto body = parse_body(r.body);
                if (!body.is_object() || !body.contains("reason") || !body["reason"].is_string() ||
                    body["reason"].get<std::string>().empty()) {
                  throw ApiError(ErrorKind::bad_request,
                                 "reason is required: say why this transaction is dropped");
                }
                s.dead_letters->resolve(id, body["reason"].get<std::string>(),
                                        reply_dead_letter(id, "resolved", std::move(respond)));
              }});
}

}  // namespace

std::shared_ptr<http::Router> make_router(const ApiServices& s) {
  auto router = std::make_shared<http::Router>();
  auto add_write = [&](const char* method, const char* pattern, Build build) {
    router->add({method, pattern, Role::observer, write_handler(s, std::move(build))});
  };

  add_write("POST", "/executed_obs_units/start",
            [](auto& b, auto& r, auto&) { return b.start_observation(parse_body(r.body)); });
  add_write("PUT", "/executed_obs_units/{id}/finish", [](auto& b, auto& r, auto& p) {
    return b.finish_observation(p.at("id"), parse_body(r.body));
  });
  add_write("PUT", "/executed_obs_units/{id}/status", [](auto& b, auto& r, auto& p) {
    return b.change_status(p.at("id"), parse_body(r.body));
  });
  add_write("POST", "/executed_obs_units/{id}/instrument_configurations",
            [](auto& b, auto& r, auto& p) {
              return b.add_instrument_configuration(p.at("id"), parse_body(r.body));
            });
  add_write("POST", "/raw_data_files",
            [](auto& b, auto& r, auto&) { return b.register_file(parse_body(r.body)); });
  add_write("POST", "/raw_data_files/bulk",
            [](auto& b, auto& r, auto&) { return b.register_files(parse_body(r.body)); });
  add_write("POST", "/raw_data_package",
            [](auto& b, auto& r, auto&) { return b.create_package(parse_body(r.body)); });
  add_write("PUT", "/raw_data_package/{id}/finalize", [](auto& b, auto& r, auto& p) {
    return b.finalize_package(p.at("id"), optional_body(r));
  });

  router->add({"GET", "/executed_obs_units", Role::viewer,
               [&s](const Request& r, const PathParams&, Respond respond) {
                 read_page(s.reads, parse_observation_filter(r.query), std::move(respond));
               }});
  // One segment serves two contracts: a UUID is one observation; an integer is the older
  // "observations of this obs_unit" form.
  router->add({"GET", "/executed_obs_units/{id}", Role::viewer,
               [&s](const Request& r, const PathParams& p, Respond respond) {
                 const auto& id = p.at("id");
                 if (is_uuid(id)) {
                   read_one(s.reads, observation_by_id(normalize_uuid(id)), "executed_obs_unit",
                            "executed_obs_unit " + id + " does not exist", std::move(respond));
                   return;
                 }
                 if (id.empty() || id.size() > 9 ||
                     id.find_first_not_of("0123456789") != std::string::npos) {
                   throw ApiError(ErrorKind::bad_request,
                                  "'" + id + "' is neither a UUID nor an obs_unit id");
                 }
                 auto query = r.query;
                 if (query.count("obs_unit_id")) {
                   throw ApiError(ErrorKind::bad_request,
                                  "obs_unit_id is given by the path in this form");
                 }
                 query["obs_unit_id"] = id;
                 read_page(s.reads, parse_observation_filter(query), std::move(respond));
               }});
  router->add({"GET", "/raw_data_files/{id}", Role::viewer,
               [&s](const Request&, const PathParams& p, Respond respond) {
                 auto id = path_uuid(p.at("id"), "raw_data_file id");
                 read_one(s.reads, raw_data_file_by_id(id), "raw_data_file",
                          "raw_data_file " + id + " does not exist", std::move(respond));
               }});
  router->add({"GET", "/raw_data_package/{id}", Role::viewer,
               [&s](const Request&, const PathParams& p, Respond respond) {
                 auto id = path_uuid(p.at("id"), "raw_data_package id");
                 read_one(s.reads, raw_data_package_by_id(id), "raw_data_package",
                          "raw_data_package " + id + " does not exist", std::move(respond));
               }});
  if (s.inspector != nullptr) {
    add_buffer_routes(*router, s);
  } else {
    router->add(
        {"GET", "/health", Role::open, [&s](const Request&, const PathParams&, Respond respond) {
           auto [status, doc] = s.health.report();
           respond(json_response(status, doc));
         }});
  }
  return router;
}

}  // namespace opsdb
