#include "opsdb/core/json_text.hpp"

#include <set>
#include <vector>

namespace opsdb {
namespace {

using Event = nlohmann::json::parse_event_t;
using Reason = JsonRefusal::Reason;

// The parser callback's state: where in the document the parser is, so a refusal can name the
// field, and the keys seen in every open object.
class StrictReader {
 public:
  explicit StrictReader(const JsonLimits& limits) : limits_(limits) {}

  bool on_event(Event event, nlohmann::json& parsed) {
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        open(event == Event::array_start);
        break;
      case Event::key:
        key(parsed.get_ref<const std::string&>());
        break;
      case Event::value:
        if (parsed.is_string()) check_length(parsed.get_ref<const std::string&>(), path(true), "");
        element_done();
        break;
      case Event::object_end:
      case Event::array_end:
        frames_.pop_back();
        element_done();
        break;
    }
    return true;
  }

  /// The path of the value being parsed; without the innermost element when `!element`.
  std::string path(bool element) const {
    std::string out;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const auto& frame = frames_[i];
      if (i + 1 == frames_.size() && !element) break;
      if (frame.array) {
        out += "[" + std::to_string(frame.items) + "]";
      } else if (frame.in_value) {
        out += (out.empty() ? "" : ".") + frame.key;
      }
    }
    return out;
  }

 private:
  struct Frame {
    bool array = false;
    std::size_t items = 0;  // arrays: elements completed
    std::string key;        // objects: key of the value being parsed
    bool in_value = false;  // objects: between a key and the end of its value
    std::set<std::string> keys;
  };

  void open(bool array) {
    if (frames_.size() >= limits_.max_depth) {
      throw JsonRefusal(Reason::too_deep, path(true),
                        "nests deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    frames_.emplace_back();
    frames_.back().array = array;
  }

  void key(const std::string& name) {
    auto& frame = frames_.back();
    frame.key = name;
    frame.in_value = true;
    check_length(name, path(true), "key ");
    if (!frame.keys.insert(name).second) {
      throw JsonRefusal(Reason::duplicate_key, path(true), "appears more than once");
    }
  }

  void element_done() {
    if (frames_.empty()) return;
    auto& frame = frames_.back();
    if (!frame.array) {
      frame.in_value = false;
      return;
    }
    ++frame.items;
    if (limits_.max_array_items != 0 && frame.items > limits_.max_array_items) {
      throw JsonRefusal(Reason::array_too_long, path(false),
                        "has more than " + std::to_string(limits_.max_array_items) + " elements");
    }
  }

  void check_length(const std::string& text, const std::string& field, const char* what) const {
    if (limits_.max_string == 0 || text.size() <= limits_.max_string) return;
    throw JsonRefusal(Reason::string_too_long, field,
                      std::string("is a ") + what + "string longer than " +
                          std::to_string(limits_.max_string) + " bytes");
  }

  const JsonLimits& limits_;
  std::vector<Frame> frames_;
};

std::string subject(const std::string& field) {
  return field.empty() ? "the document" : field;
}

// nlohmann reports ill-formed UTF-8 and lone surrogate escapes as parse errors like any other.
bool is_encoding_error(const nlohmann::json::parse_error& e) {
  const std::string what = e.what();
  return what.find("UTF-8") != std::string::npos || what.find("surrogate") != std::string::npos;
}

}  // namespace

JsonRefusal::JsonRefusal(Reason reason, std::string field, std::string problem, std::size_t byte)
    : std::runtime_error(subject(field) + " " + problem),
      reason_(reason),
      field_(std::move(field)),
      problem_(std::move(problem)),
      byte_(byte) {}

nlohmann::json parse_json_strict(std::string_view text, const JsonLimits& limits) {
  StrictReader reader(limits);
  // The callback is copied by the parser: it holds the reader by reference.
  const auto callback = [&reader](int, Event event, nlohmann::json& parsed) {
    return reader.on_event(event, parsed);
  };
  try {
    return nlohmann::json::parse(text, callback);
  } catch (const nlohmann::json::parse_error& e) {
    // The parser's own message quotes the input, which may be anything: it is not passed on.
    if (is_encoding_error(e)) {
      throw JsonRefusal(Reason::invalid_utf8, reader.path(true), "is not valid UTF-8", e.byte);
    }
    throw JsonRefusal(Reason::syntax, "",
                      "is not valid JSON (syntax error at byte " + std::to_string(e.byte) + ")",
                      e.byte);
  } catch (const nlohmann::json::out_of_range&) {
    throw JsonRefusal(Reason::number_out_of_range, reader.path(true),
                      "holds a number out of range");
  }
}

std::optional<nlohmann::json> parse_json_text(std::string_view text, std::size_t max_depth) {
  try {
    return parse_json_strict(text, JsonLimits{.max_depth = max_depth, .max_string = 0});
  } catch (const JsonRefusal&) {
    return std::nullopt;
  }
}

}  // namespace opsdb
