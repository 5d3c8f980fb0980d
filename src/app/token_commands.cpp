#include "opsdb/app/token_commands.hpp"

#include <future>
#include <stdexcept>

#include "opsdb/postgres/pg_credentials.hpp"
#include "opsdb/postgres/pg_database.hpp"

namespace opsdb {
namespace {

// Runs `call(registry, done)` on a one-connection pool and waits for `done`.
template <typename T, typename Call>
T run_on_main(const Config& config, Call call) {
  PgDatabase main_db("main", config.main_db, 1);
  PgTokenRegistry registry(main_db);
  std::promise<Result<T>> answer;
  auto future = answer.get_future();
  call(registry, [&answer](Result<T> r) { answer.set_value(std::move(r)); });
  auto result = future.get();
  main_db.stop();
  if (!result.ok()) throw std::runtime_error(result.error().message);
  return std::move(result).value();
}

}  // namespace

auth::IssuedToken create_token(const Config& config, auth::TokenRequest request) {
  SystemClock clock;
  return run_on_main<auth::IssuedToken>(config, [&](auth::TokenRegistry& registry, auto done) {
    auth::issue_token(registry, clock, std::move(request), std::move(done));
  });
}

std::vector<auth::TokenInfo> list_tokens(const Config& config, std::optional<std::string> user) {
  return run_on_main<std::vector<auth::TokenInfo>>(
      config, [&](auth::TokenRegistry& registry, auto done) {
        registry.list(std::move(user), std::move(done));
      });
}

auth::TokenInfo revoke_token(const Config& config, std::string prefix) {
  return run_on_main<auth::TokenInfo>(config, [&](auth::TokenRegistry& registry, auto done) {
    registry.revoke(std::move(prefix), std::nullopt, std::move(done));
  });
}

}  // namespace opsdb
