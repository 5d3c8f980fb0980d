#pragma once

#include <memory>

#include "opsdb/api/health_monitor.hpp"
#include "opsdb/api/write_sink.hpp"
#include "opsdb/config/config.hpp"
#include "opsdb/db/database.hpp"
#include "opsdb/http/router.hpp"
#include "opsdb/tx/transaction_builder.hpp"

namespace opsdb {

class ReferenceCheck;
class BufferInspector;
class DeadLetters;
class DrainProcessor;
class LsnTracker;

/// What the handlers work with. All references outlive the router.
struct ApiServices {
  const Config& config;
  const TransactionBuilder& builder;
  WriteSink& writes;  // critical endpoints
  Database& reads;    // read endpoints
  HealthMonitor& health;
  ReferenceCheck& references;  // refuses writes naming reference data that does not exist
  // Secondary site only (null at the main site).
  BufferInspector* inspector = nullptr;
  DeadLetters* dead_letters = nullptr;
  DrainProcessor* processor = nullptr;
  LsnTracker* lsn = nullptr;
};

/// The route table of DESIGN §9: every route with its method, pattern, required role, handler.
std::shared_ptr<http::Router> make_router(const ApiServices& services);

}  // namespace opsdb
