#pragma once

#include <memory>

#include "opsdb/auth/token_registry.hpp"
#include "opsdb/config/config.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/http/router.hpp"
#include "opsdb/postgres/database.hpp"

namespace boost::asio {
class io_context;
}

namespace opsdb {

/// Who may use this server: credentials verified from the local database (cached, refreshed in
/// the background), tokens managed on the main database, and `last_used_at` recorded at the
/// main site once a minute.
class SiteAccess {
 public:
  /// `local_db` verifies (the replica at a secondary site), `main_db` when `local_db` cannot be
  /// reached; `main_db` holds the tokens.
  SiteAccess(boost::asio::io_context& io, const Config& config, Database& local_db,
             Database& main_db, const Clock& clock);
  ~SiteAccess();
  SiteAccess(const SiteAccess&) = delete;
  SiteAccess& operator=(const SiteAccess&) = delete;

  /// For the router: admits or refuses a request; look-ups finish on `io`.
  std::shared_ptr<Authenticator> authenticator() const;
  auth::TokenRegistry& tokens();

  /// Starts the background refresh (and, at the main site, the use recording).
  void start();
  /// Cancels the timers; call on the io_context's thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsdb
