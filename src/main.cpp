// ops-db-api: the operations-database API of the observatory. One binary, several commands.
#include <spdlog/spdlog.h>

#include <iostream>
#include <string>
#include <vector>

#include "opsdb/app/application.hpp"
#include "opsdb/app/logging.hpp"
#include "opsdb/config/config.hpp"
#include "opsdb/postgres/migrator.hpp"

namespace {

constexpr const char* kUsage = R"(usage: ops-db-api [COMMAND]

Commands:
  serve        run the HTTP API server (the default)
  migrate      apply pending schema migrations to the main database
  seed-demo    load demo reference data (observatory, instruments, sources, obs units)

Options:
  -h, --help       show this help
  -V, --version    show the version

Configuration comes from environment variables, then a .env file in the working directory,
then defaults; see config/ops-db-api.env.example for every key.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string command = args.empty() ? "serve" : args[0];
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "-V" || command == "--version") {
    std::cout << "ops-db-api " << opsdb::version() << "\n";
    return 0;
  }
  if (args.size() > 1) {
    std::cerr << "ops-db-api: unexpected argument '" << args[1] << "'\n" << kUsage;
    return 2;
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
    if (command == "serve") return opsdb::serve(config);
    if (command == "migrate") {
      auto applied = opsdb::migrate(config.main_db);
      std::cout << (applied.empty() ? "schema is up to date"
                                    : "applied " + std::to_string(applied.size()) + " migration(s)")
                << "\n";
      return 0;
    }
    if (command == "seed-demo") {
      opsdb::seed_demo(config.main_db);
      std::cout << "demo reference data loaded\n";
      return 0;
    }
  } catch (const std::exception& e) {
    spdlog::critical("{} failed: {}", command, e.what());
    return 1;
  }
  std::cerr << "ops-db-api: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
