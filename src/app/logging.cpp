#include "opsdb/app/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "opsdb/core/log_fields.hpp"

namespace opsdb {
namespace {

// JSON text of a value; bytes that are not UTF-8 are replaced rather than thrown on.
std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `%j`: the message as a JSON string body, so every line stays valid JSON whatever it says.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string escaped =
        json_text(nlohmann::json(std::string(msg.payload.data(), msg.payload.size())));
    dest.append(escaped.data() + 1, escaped.data() + escaped.size() - 1);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

// `%F`: the line's fields (log_with_fields). In JSON lines more keys of the object, in text lines
// " key=value" after the message.
class LineFields final : public spdlog::custom_flag_formatter {
 public:
  explicit LineFields(LogFormat format) : format_(format) {}
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const nlohmann::json* fields = current_log_fields();
    if (fields == nullptr || !fields->is_object()) return;
    for (const auto& [key, value] : fields->items()) {
      const std::string entry =
          format_ == LogFormat::json
              ? "," + json_text(key) + ":" + json_text(value)
              : " " + key + "=" + (value.is_string() ? value.get<std::string>() : json_text(value));
      dest.append(entry.data(), entry.data() + entry.size());
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LineFields>(format_);
  }

 private:
  LogFormat format_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> log_formatter(LogFormat format) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (format == LogFormat::json) {
    formatter->add_flag<JsonEscapedMessage>('j')
        .add_flag<LineFields>('F', format)
        .set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"message":"%j"%F})");
  } else {
    formatter->add_flag<LineFields>('F', format)
        .set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ [%t] %v%F");
  }
  return formatter;
}

void setup_logging(const std::string& level, LogFormat format) {
  auto logger = spdlog::stderr_logger_mt("ops-db-api");
  logger->set_formatter(log_formatter(format));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace opsdb
