// Request bodies of the critical endpoints, through the route table: the first byte picks the
// endpoint, the rest is the body. No body may get a server error, and every write the builder
// accepts must be a document the drain accepts in turn.
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "require.hpp"
#include "support/api_fakes.hpp"

namespace {

struct Endpoint {
  const char* method;
  const char* target;
};

constexpr Endpoint kEndpoints[] = {
    {"POST", "/executed_obs_units/start"},
    {"PUT", "/executed_obs_units/6f1c1c9e-8d7a-4c55-9a55-0c8c0f5e7a11/finish"},
    {"PUT", "/executed_obs_units/6f1c1c9e-8d7a-4c55-9a55-0c8c0f5e7a11/status"},
    {"POST", "/executed_obs_units/6f1c1c9e-8d7a-4c55-9a55-0c8c0f5e7a11/instrument_configurations"},
    {"POST", "/raw_data_files/"},
    {"POST", "/raw_data_files/bulk"},
    {"POST", "/raw_data_package/"},
    {"PUT", "/raw_data_package/6f1c1c9e-8d7a-4c55-9a55-0c8c0f5e7a11/finalize"},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opsdb;
  static test::ApiHarness harness;
  if (size == 0) return 0;
  const auto& endpoint = kEndpoints[data[0] % std::size(kEndpoints)];
  http::Request request;
  request.method = endpoint.method;
  request.target = endpoint.target;
  request.path = endpoint.target;
  request.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto response = harness.dispatch(request);
  fuzz::require(response.has_value(), "a write got no answer", request.target);
  fuzz::require_no_server_error(response, request);

  const auto& write = harness.last_write();
  if (!write) return 0;
  // What is buffered is read back by the drain: it must pass the drain's checks unchanged.
  const auto document = write->tx.to_json().dump();
  try {
    const auto drained = Transaction::parse(document);
    fuzz::require(drained.to_json().dump() == document, "the drain reads another transaction",
                  document);
  } catch (const std::invalid_argument& e) {
    fuzz::require(false, "the drain refuses a write the API accepted",
                  std::string(e.what()) + "\n" + document);
  }
  return 0;
}
