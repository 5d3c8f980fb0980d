#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "opsdb/config/config.hpp"

namespace opsdb::test {

/// Makes the default logger write, in the server's format, to memory for as long as it lives;
/// the previous logger is put back after.
class LogCapture {
 public:
  explicit LogCapture(LogFormat format = LogFormat::text);
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() const;
  /// Lines containing `text`.
  std::size_t count(std::string_view text) const;

 private:
  std::shared_ptr<std::ostringstream> out_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace opsdb::test
