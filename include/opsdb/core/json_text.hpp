#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace opsdb {

/// Limits of a JSON text from outside the process, each enforced while parsing, so a text over
/// one of them is refused before it exists as a document.
struct JsonLimits {
  std::size_t max_depth = 64;          // objects and arrays inside each other
  std::size_t max_string = 64 * 1024;  // bytes of one string or object key; 0: no limit
  std::size_t max_array_items = 0;     // elements of one array; 0: no limit
};

/// Why a JSON text was refused, and where: `field` is the path of the value at fault in the
/// notation the API's error details use (`conditions.x`, `[3].name`), empty for the text as a
/// whole.
class JsonRefusal : public std::runtime_error {
 public:
  enum class Reason {
    syntax,               // not JSON text
    invalid_utf8,         // a string that is not well-formed UTF-8 (or a lone surrogate escape)
    too_deep,             // nested deeper than max_depth
    string_too_long,      // a string or key longer than max_string
    array_too_long,       // an array with more than max_array_items elements
    duplicate_key,        // a key twice in one object: parsers differ on which one wins
    number_out_of_range,  // a number no double can hold (1e999999)
  };

  JsonRefusal(Reason reason, std::string field, std::string problem, std::size_t byte = 0);

  Reason reason() const { return reason_; }
  const std::string& field() const { return field_; }
  /// What is wrong, without the subject: "appears more than once".
  const std::string& problem() const { return problem_; }
  /// Offset in the text where the parser stopped, for syntax and encoding errors.
  std::size_t byte() const { return byte_; }

 private:
  Reason reason_;
  std::string field_;
  std::string problem_;
  std::size_t byte_;
};

/// Parses JSON text strictly: RFC 8259 text in well-formed UTF-8, no key twice in one object,
/// no number beyond what a double can hold, within `limits`. Throws JsonRefusal.
nlohmann::json parse_json_strict(std::string_view text, const JsonLimits& limits);

/// Parses JSON text the process did not write itself in this call (a document read back from
/// Redis) with `parse_json_strict`'s rules, nesting at most `max_depth` levels and strings of
/// any length, so no later recursive copy or serialisation of it can exhaust the stack. Nullopt
/// when the text is refused; never throws.
std::optional<nlohmann::json> parse_json_text(std::string_view text, std::size_t max_depth);

}  // namespace opsdb
