#include "support/log_capture.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "opsdb/app/logging.hpp"

namespace opsdb::test {

LogCapture::LogCapture(LogFormat format)
    : out_(std::make_shared<std::ostringstream>()), previous_(spdlog::default_logger()) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*out_);
  sink->set_formatter(log_formatter(format));
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

LogCapture::~LogCapture() {
  spdlog::set_default_logger(previous_);
}

std::vector<std::string> LogCapture::lines() const {
  std::vector<std::string> all;
  std::istringstream in(out_->str());
  for (std::string line; std::getline(in, line);) all.push_back(line);
  return all;
}

std::size_t LogCapture::count(std::string_view text) const {
  std::size_t n = 0;
  for (const auto& line : lines()) {
    if (line.find(text) != std::string::npos) ++n;
  }
  return n;
}

}  // namespace opsdb::test
