// Request targets (path and query string) through target parsing, percent-decoding and the
// whole route table: the first byte picks the method, the rest is the target. No target may
// get a server error.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "request_parse.hpp"
#include "require.hpp"
#include "support/api_fakes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opsdb;
  static test::ApiHarness harness;
  static constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  if (size == 0) return 0;
  const std::string_view target(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto parsed = http::parse_target(target);
  if (!parsed) return 0;
  fuzz::require(!parsed->path.empty() && parsed->path.front() == '/',
                "a parsed path does not start with /", std::string(target));

  http::Request request;
  request.method = kMethods[data[0] % std::size(kMethods)];
  request.target = std::string(target);
  request.path = std::move(parsed->path);
  request.query = std::move(parsed->query);
  fuzz::require_no_server_error(harness.dispatch(request), request);
  return 0;
}
