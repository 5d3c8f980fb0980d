// ops-db-api: the operations-database API of the observatory. One binary, several commands.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>

#include "opsdb/app/application.hpp"
#include "opsdb/app/logging.hpp"
#include "opsdb/app/openapi_command.hpp"
#include "opsdb/app/token_commands.hpp"
#include "opsdb/config/config.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/core/version.hpp"
#include "opsdb/postgres/migrator.hpp"

namespace {

constexpr const char* kFooter =
    "Configuration comes from environment variables, then a .env file in the working "
    "directory, then defaults; see config/ops-db-api.env.example for every key. Every command "
    "reads the same configuration as the server.";

// The demo administrator seed-demo creates, with one token for trying the API.
constexpr const char* kDemoUser = "demo-admin";

std::string roles_text(const std::vector<opsdb::Role>& roles) {
  std::string text;
  for (auto role : roles) text += (text.empty() ? "" : ",") + std::string(opsdb::role_name(role));
  return text;
}

std::string time_text(const std::optional<std::chrono::system_clock::time_point>& t,
                      const char* none) {
  return t ? opsdb::format_timestamp(*t) : none;
}

// Tokens go to stdout alone, so that `TOKEN=$(ops-db-api token create ...)` captures exactly
// the token; everything for people goes to stderr.
void print_issued(const opsdb::auth::IssuedToken& issued) {
  std::cerr << "created API token " << issued.info.prefix << " (" << issued.info.name << ") for "
            << issued.info.user << " with role " << roles_text(issued.info.scopes) << ", expires "
            << time_text(issued.info.expires_at, "never")
            << ". It is shown only now: store it safely.\n";
  std::cout << issued.token << "\n";
}

void print_list(const std::vector<opsdb::auth::TokenInfo>& tokens) {
  std::cout << "prefix        user                 role      active  expires                      "
               "last used                    name\n";
  for (const auto& t : tokens) {
    std::cout << std::left << std::setw(14) << t.prefix << std::setw(21) << t.user << std::setw(10)
              << roles_text(t.scopes) << std::setw(8) << (t.active ? "yes" : "no") << std::setw(29)
              << time_text(t.expires_at, "never") << std::setw(29) << time_text(t.last_used_at, "-")
              << t.name << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ops-db-api: the operations-database API of the observatory", "ops-db-api"};
  app.footer(kFooter);
  app.set_version_flag("-V,--version", "ops-db-api " + std::string(opsdb::version()));
  app.require_subcommand(0, 1);

  auto* serve = app.add_subcommand("serve", "run the HTTP API server (the default)");
  auto* migrate =
      app.add_subcommand("migrate", "apply pending schema migrations to the main database");
  auto* seed = app.add_subcommand(
      "seed-demo", "load demo reference data and a demo administrator; prints one demo API token");
  auto* token = app.add_subcommand("token", "manage API tokens on the main database");
  token->require_subcommand(1);

  opsdb::auth::TokenRequest request{.provision_user = true};
  std::string role_text;
  std::optional<int> expires;
  auto* create = token->add_subcommand(
      "create", "create a token (and the user, with the role, when missing); prints the token");
  create->add_option("--user", request.user, "the user the token belongs to")->required();
  create->add_option("--role", role_text, "admin, observer, service or viewer")
      ->required()
      ->check(CLI::IsMember({"admin", "observer", "service", "viewer"}));
  create->add_option("--expires", expires, "days until the token expires (default: never)")
      ->check(CLI::Range(1, opsdb::auth::kMaxTokenDays));
  request.name = "command line";
  create->add_option("--name", request.name, "what the token is for")->capture_default_str();

  std::optional<std::string> list_user;
  auto* list = token->add_subcommand("list", "list tokens (never the tokens themselves)");
  list->add_option("--user", list_user, "only this user's tokens");

  std::string prefix;
  auto* revoke = token->add_subcommand("revoke",
                                       "revoke a token; it stops working everywhere "
                                       "within AUTH_CACHE_TTL");
  revoke->add_option("PREFIX", prefix, "the token's prefix, as `token list` shows it")->required();

  std::optional<std::string> openapi_site;
  auto* openapi = app.add_subcommand(
      "openapi", "print the OpenAPI 3.1 document the server serves at /openapi.json");
  openapi
      ->add_option("--site", openapi_site,
                   "the site type whose routes to describe (default: SITE_TYPE)")
      ->check(CLI::IsMember({"main", "secondary"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too (with 0); every usage error exits 2, as is the custom.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  opsdb::Config config;
  try {
    config = opsdb::load_config(opsdb::process_environment(), ".env");
  } catch (const opsdb::ConfigError& e) {
    std::cerr << "ops-db-api: configuration error: " << e.what() << "\n";
    return 2;
  }
  opsdb::setup_logging(config.log_level, config.log_format);

  try {
    if (migrate->parsed()) {
      auto applied = opsdb::migrate(config.main_db);
      std::cout << (applied.empty() ? "schema is up to date"
                                    : "applied " + std::to_string(applied.size()) + " migration(s)")
                << "\n";
      return 0;
    }
    if (openapi->parsed()) {
      auto site = config.site_type;
      if (openapi_site)
        site = *openapi_site == "main" ? opsdb::SiteType::main : opsdb::SiteType::secondary;
      std::cout << opsdb::openapi_for_site(config, site).dump(2) << "\n";
      return 0;
    }
    if (seed->parsed()) {
      opsdb::seed_demo(config.main_db);
      std::cerr << "demo reference data loaded\n";
      print_issued(opsdb::create_token(
          config,
          {.user = kDemoUser, .role = opsdb::Role::admin, .name = "demo", .provision_user = true}));
      return 0;
    }
    if (create->parsed()) {
      request.role = *opsdb::parse_role(role_text);
      request.expires_in_days = expires;
      print_issued(opsdb::create_token(config, std::move(request)));
      return 0;
    }
    if (list->parsed()) {
      print_list(opsdb::list_tokens(config, list_user));
      return 0;
    }
    if (revoke->parsed()) {
      const auto revoked = opsdb::revoke_token(config, prefix);
      std::cerr << "revoked API token " << revoked.prefix << " (" << revoked.name << ") of "
                << revoked.user << "\n";
      return 0;
    }
    (void)serve;
    return opsdb::serve(config);
  } catch (const std::exception& e) {
    spdlog::critical(
        "{} failed: {}",
        app.get_subcommands().empty() ? "serve" : app.get_subcommands().front()->get_name(),
        e.what());
    return 1;
  }
}
