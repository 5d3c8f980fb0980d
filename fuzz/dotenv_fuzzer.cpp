// The .env file: any text parses into entries, and the configuration built from them is
// either valid or refused with ConfigError (which stops the server with its message).
#include <cstddef>
#include <cstdint>
#include <string>

#include "opsdb/config/config.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opsdb;
  const auto entries = parse_dotenv(std::string(reinterpret_cast<const char*>(data), size));
  for (const auto& [key, value] : entries) {
    fuzz::require(key.find('\n') == std::string::npos && value.find('\n') == std::string::npos,
                  "an entry spans lines", key);
  }
  try {
    const auto config = load_config(entries, std::nullopt);
    (void)connection_string(config.main_db);
    (void)redacted_connection_string(config.local_db);
  } catch (const ConfigError&) {
  }
  return 0;
}
