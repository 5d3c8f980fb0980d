#include "responses.hpp"
#include "route_groups.hpp"
#include "status_documents.hpp"

namespace opsdb {
namespace {

using namespace route_names;

constexpr std::size_t kMaxFailedListed = 10'000;

// /health answers from the last sample, never from a probe of its own: it takes no time while
// a database or Redis hangs, and it cannot add load to one in trouble.
void site_health(const ApiServices& s, Respond respond) {
  const SiteReport report = s.monitor.report();
  const int status = report.verdict.level == HealthLevel::unhealthy ? 503 : 200;
  respond(json_response(status, health_document(s.config, report)));
}

void metrics_text(const ApiServices& s, Respond respond) {
  http::Response response;
  response.status = 200;
  response.content_type = std::string(s.metrics.content_type());
  response.body = s.metrics.render(s.monitor.report());
  respond(std::move(response));
}

std::size_t failed_limit(const Request& r) {
  auto it = r.query.find("limit");
  if (it == r.query.end()) return 100;
  std::size_t limit = 0;
  try {
    limit = std::stoul(it->second);
  } catch (const std::exception&) {
    limit = 0;
  }
  if (limit < 1 || limit > kMaxFailedListed) {
    throw ApiError(ErrorKind::bad_request, "limit must be between 1 and 10000");
  }
  return limit;
}

std::string resolve_reason(const TransactionBuilder& builder, const Request& r) {
  auto body = builder.parse(r.body);
  if (!body.is_object() || !body.contains("reason") || !body["reason"].is_string() ||
      body["reason"].get<std::string>().empty()) {
    throw ApiError(ErrorKind::bad_request,
                   "reason is required: say why this transaction is dropped");
  }
  return body["reason"].get<std::string>();
}

// Answers a dead-letter operation with {"transaction_id", "status": `outcome`}.
Callback<void> answer_dead_letter(Respond respond, std::string tx_id, const char* outcome) {
  return [respond = std::move(respond), tx_id = std::move(tx_id), outcome](Status r) {
    if (!r.ok()) return respond_error(respond, r.error(), Dependency::buffer);
    respond(json_response(200, {{"transaction_id", tx_id}, {"status", outcome}}));
  };
}

void add_buffer_routes(http::Router& router, const ApiServices& s) {
  router.add({.method = "GET",
              .pattern = "/buffer-stats",
              .role = Role::open,
              .handler =
                  [&s](const RequestContext&, const Request&, const PathParams&, Respond respond) {
                    s.buffer->stats([&s, respond](Result<BufferStats> r) {
                      if (!r.ok()) return respond_error(respond, r.error(), Dependency::buffer);
                      respond(json_response(200, buffer_stats_document(*r, s.processor())));
                    });
                  },
              .success_status = 200,
              .summary = "Depth of the transaction buffer and the drain's rate",
              .response_shape = "buffer_stats"});
  router.add(
      {.method = "GET",
       .pattern = "/transactions/{tx_id}",
       .role = Role::viewer,
       .handler =
           [&s](const RequestContext&, const Request&, const PathParams& p, Respond respond) {
             s.buffer->status(path_uuid(p.at("tx_id"), "transaction id"),
                              [respond](Result<TransactionStatus> r) {
                                if (!r.ok()) {
                                  return respond_error(respond, r.error(), Dependency::buffer);
                                }
                                respond(json_response(200, transaction_status_document(*r)));
                              });
           },
       .success_status = 200,
       .summary = "State of one buffered transaction",
       .response_shape = "transaction_status"});
  router.add(
      {.method = "GET",
       .pattern = "/admin/failed-transactions",
       .role = Role::admin,
       .handler =
           [&s](const RequestContext&, const Request& r, const PathParams&, Respond respond) {
             s.dead_letters->list(failed_limit(r),
                                  [respond](Result<std::vector<FailedTransaction>> r) {
                                    if (!r.ok())
                                      return respond_error(respond, r.error(), Dependency::buffer);
                                    respond(json_response(200, failed_transactions_document(*r)));
                                  });
           },
       .success_status = 200,
       .summary = "The dead-letter queue, newest first",
       .response_shape = "failed_transaction_list",
       .query_params = {{"limit", "integer", "How many to list, 1 to 10000 (default 100)"}}});
  router.add(
      {.method = "POST",
       .pattern = "/admin/failed-transactions/{tx_id}/replay",
       .role = Role::admin,
       .handler =
           [&s](const RequestContext&, const Request&, const PathParams& p, Respond respond) {
             auto id = path_uuid(p.at("tx_id"), "transaction id");
             s.dead_letters->replay(id, answer_dead_letter(std::move(respond), id, "buffered"));
           },
       .success_status = 200,
       .summary = "Buffer a failed transaction again, behind everything pending",
       .response_shape = "dead_letter_outcome"});
  router.add(
      {.method = "POST",
       .pattern = "/admin/failed-transactions/{tx_id}/resolve",
       .role = Role::admin,
       .handler =
           [&s](const RequestContext&, const Request& r, const PathParams& p, Respond respond) {
             auto id = path_uuid(p.at("tx_id"), "transaction id");
             s.dead_letters->resolve(id, resolve_reason(s.builder, r),
                                     answer_dead_letter(std::move(respond), id, "resolved"));
           },
       .success_status = 200,
       .summary = "Drop a failed transaction, keeping the reason",
       .body_fields = {{"reason", "string", true}},
       .response_shape = "dead_letter_outcome"});
}

}  // namespace

void add_operations_routes(http::Router& router, const ApiServices& s) {
  router.add({.method = "GET",
              .pattern = "/health",
              .role = Role::open,
              .handler = [&s](const RequestContext&, const Request&, const PathParams&,
                              Respond respond) { site_health(s, std::move(respond)); },
              .success_status = 200,
              .summary = "Health of the site (503 only when unhealthy)",
              .response_shape = "health"});
  router.add({.method = "GET",
              .pattern = "/metrics",
              .role = Role::open,
              .handler = [&s](const RequestContext&, const Request&, const PathParams&,
                              Respond respond) { metrics_text(s, std::move(respond)); },
              .success_status = 200,
              .summary = "Metrics in the Prometheus text format",
              .response_shape = "prometheus_text"});
  if (s.secondary()) add_buffer_routes(router, s);
}

}  // namespace opsdb
