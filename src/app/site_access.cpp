#include "site_access.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "opsdb/auth/credential_verifier.hpp"
#include "opsdb/postgres/pg_credentials.hpp"

namespace opsdb {
namespace {

namespace asio = boost::asio;

// The router's view of the verifier: look-ups finish on the io_context, where handlers run.
class VerifierGate final : public Authenticator {
 public:
  VerifierGate(auth::CredentialVerifier& verifier, asio::io_context& io)
      : verifier_(verifier), io_(io) {}

  std::optional<Admission> check(std::string_view authorization,
                                 std::string_view remote_address) override {
    return verifier_.check(authorization, remote_address);
  }

  void look_up(std::string authorization, std::string remote_address,
               std::function<void(Admission)> done) override {
    verifier_.look_up(std::move(authorization), std::move(remote_address),
                      [&io = io_, done = std::move(done)](Admission admission) {
                        asio::post(io, [done, admission = std::move(admission)]() mutable {
                          done(std::move(admission));
                        });
                      });
  }

 private:
  auth::CredentialVerifier& verifier_;
  asio::io_context& io_;
};

auth::VerifierOptions verifier_options(const Config& config) {
  auth::VerifierOptions options;
  options.cache_ttl = config.auth_cache_ttl;
  options.jwt_secret = config.secret_key;
  return options;
}

}  // namespace

struct SiteAccess::Impl {
  Impl(asio::io_context& io, const Config& config, Database& local_db, Database& main_db,
       const Clock& clock)
      : records_use(config.site_type == SiteType::main),
        use_interval(config.auth_last_used_interval),
        refresh_interval(config.auth_cache_ttl / 2),
        store(local_db, config.site_type == SiteType::secondary ? &main_db : nullptr),
        registry(main_db),
        verifier(store, clock, verifier_options(config)),
        gate(std::make_shared<VerifierGate>(verifier, io)),
        refresh_timer(io),
        use_timer(io) {}

  void refresh() {
    refresh_timer.expires_after(refresh_interval);
    refresh_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      verifier.refresh();
      refresh();
    });
  }

  void record_use() {
    use_timer.expires_after(use_interval);
    use_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      auto used = verifier.take_used();
      if (!used.empty()) {
        registry.record_use(std::move(used), [](Status r) {
          // Nothing waits for this: a failure only leaves last_used_at older than it is.
          if (!r.ok())
            spdlog::debug("last_used_at of API tokens not recorded: {}", r.error().message);
        });
      }
      record_use();
    });
  }

  const bool records_use;
  // `last_used_at` is advisory: written at most this often per token.
  const std::chrono::milliseconds use_interval;
  const std::chrono::milliseconds refresh_interval;
  PgCredentialStore store;
  PgTokenRegistry registry;
  auth::CredentialVerifier verifier;
  std::shared_ptr<VerifierGate> gate;
  asio::steady_timer refresh_timer;
  asio::steady_timer use_timer;
};

SiteAccess::SiteAccess(asio::io_context& io, const Config& config, Database& local_db,
                       Database& main_db, const Clock& clock)
    : impl_(std::make_unique<Impl>(io, config, local_db, main_db, clock)) {
  if (config.secret_key.empty()) {
    spdlog::info("SECRET_KEY is not set: API tokens are accepted, JWTs are not");
  } else if (config.insecure_development_mode) {
    spdlog::warn(
        "INSECURE_DEVELOPMENT_MODE is on: a short SECRET_KEY is accepted; never run "
        "like this in production");
  }
  if (!impl_->records_use) {
    // A secondary site's database is a read-only replica, and the buffer carries observation
    // data in order to Cologne: a usage timestamp is not worth a place in that queue.
    spdlog::info("last_used_at of API tokens is recorded by the main site only");
  }
}

SiteAccess::~SiteAccess() = default;

std::shared_ptr<Authenticator> SiteAccess::authenticator() const {
  return impl_->gate;
}

auth::TokenRegistry& SiteAccess::tokens() {
  return impl_->registry;
}

void SiteAccess::start() {
  impl_->refresh();
  if (impl_->records_use) impl_->record_use();
}

void SiteAccess::stop() {
  impl_->refresh_timer.cancel();
  impl_->use_timer.cancel();
}

}  // namespace opsdb
