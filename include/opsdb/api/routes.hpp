#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "opsdb/api/error_mapping.hpp"
#include "opsdb/api/write_sink.hpp"
#include "opsdb/astro/visibility_service.hpp"
#include "opsdb/auth/token_registry.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/config/config.hpp"
#include "opsdb/events/document_broadcast.hpp"
#include "opsdb/events/event_hub.hpp"
#include "opsdb/http/router.hpp"
#include "opsdb/query/program_catalog.hpp"
#include "opsdb/query/smart_query.hpp"
#include "opsdb/query/source_catalog.hpp"
#include "opsdb/query/transfer_view.hpp"
#include "opsdb/status/metrics.hpp"
#include "opsdb/status/site_monitor.hpp"
#include "opsdb/status/site_status.hpp"
#include "opsdb/status/transaction_status.hpp"
#include "opsdb/tx/reference_check.hpp"
#include "opsdb/tx/transaction_builder.hpp"

namespace opsdb {

/// What the handlers work with. All references outlive the router.
struct ApiServices {
  const Config& config;
  const TransactionBuilder& builder;
  WriteSink& writes;           // critical endpoints
  SmartQuery& reads;           // read endpoints
  const SiteMonitor& monitor;  // the site as last sampled: /health, /metrics
  ReferenceCheck& references;  // refuses writes naming reference data that does not exist
  const Metrics& metrics;      // GET /metrics
  // Secondary site only: null / empty at the main site.
  BufferInspector* buffer = nullptr;
  DeadLetters* dead_letters = nullptr;
  std::function<ProcessorSnapshot()> processor{};
  /// Who calls: asked by the router for every route that requires a role. Without one, those
  /// routes answer 401.
  std::shared_ptr<Authenticator> authenticator{};
  /// The source catalogue (/sources); without one those routes do not exist.
  SourceCatalog* sources = nullptr;
  /// Visibility at the telescope (/visibility, /sources/{id}/chip); without it those routes do
  /// not exist.
  VisibilityService* visibility = nullptr;
  /// Observing programs (/observing_program); without one those routes do not exist.
  ProgramCatalog* programs = nullptr;
  /// The transfer pipeline (/api/transfer); without one those routes do not exist.
  TransferView* transfers = nullptr;
  /// Token management (/api/tokens); without one those routes do not exist.
  auth::TokenRegistry* tokens = nullptr;
  const Clock* clock = nullptr;  // token expiry; required with `tokens`
  /// The site's transaction events (WS /ws/events); without it that route does not exist.
  EventHub* events = nullptr;
  /// The transfer overview as it changes (WS /api/transfer/ws/overview); without it that route
  /// does not exist.
  DocumentBroadcast* overview = nullptr;

  bool secondary() const { return buffer != nullptr; }
  /// The dependency read endpoints blame when their database fails.
  Dependency read_dependency() const {
    return secondary() ? Dependency::local_database : Dependency::database;
  }
};

/// How the transfer overview document (GET /api/transfer/overview) is computed, for the
/// broadcast that pushes it as it changes; `services` must outlive the function.
DocumentBroadcast::Compute transfer_overview_document(const ApiServices& services);

/// The route table of DESIGN §9: every route with its whole contract and its handler.
std::shared_ptr<http::Router> make_router(const ApiServices& services);

}  // namespace opsdb
