#include "hostile_inputs.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;

// `field` in the notation of error details ("name", "[0].name") as a JSON pointer.
json::json_pointer pointer(const std::string& field) {
  if (field.rfind("[0].", 0) == 0) return json::json_pointer("/0/" + field.substr(4));
  return json::json_pointer("/" + field);
}

// The valid body of `e` as text, with the value of `field` replaced by the raw text `raw` (which
// need not be valid JSON).
std::string with_raw_value(const Endpoint& e, const std::string& field, const std::string& raw) {
  const std::string marker = "\"@@value@@\"";
  json body = e.valid;
  body[pointer(field)] = "@@value@@";
  auto text = body.dump();
  text.replace(text.find(marker), marker.size(), raw);
  return text;
}

// The key of `field` in its own object: "name" for "[0].name".
std::string last_key(const std::string& field) {
  const auto dot = field.rfind('.');
  return dot == std::string::npos ? field : field.substr(dot + 1);
}

}  // namespace

std::vector<Endpoint> critical_endpoints() {
  const std::string uuid = "6f1c1c9e-8d7a-4c55-9a55-0c8c0f5e7a11";
  const json file = {{"name", "a.fits"},
                     {"relative_path", "obs/a.fits"},
                     {"executed_obs_unit_id", uuid},
                     {"instrument_module_id", 1},
                     {"size_bytes", 10},
                     {"checksum", "sha256:00"}};
  const std::string observation = "/executed_obs_units/" + uuid;
  const std::string int32_over = "2147483648";
  const std::string int64_over = "9223372036854775808";
  return {
      {"POST",
       "/executed_obs_units/start",
       {{"obs_unit_id", 1}, {"status", "running"}},
       "status",
       "obs_unit_id",
       int32_over},
      {"PUT",
       observation + "/finish",
       {{"status", "completed"}, {"reason", "r"}},
       "reason",
       std::nullopt,
       ""},
      {"PUT",
       observation + "/status",
       {{"status", "failed"}, {"reason", "r"}},
       "reason",
       std::nullopt,
       ""},
      {"POST",
       observation + "/instrument_configurations",
       {{"instrument_module_id", 1},
        {"configuration", json::object()},
        {"recorded_at", "2026-11-25T16:00:00Z"}},
       "recorded_at",
       "instrument_module_id",
       int32_over},
      {"POST", "/raw_data_files/", file, "name", "size_bytes", int64_over},
      {"POST", "/raw_data_files/bulk", json::array({file}), "[0].name", "[0].instrument_module_id",
       int32_over},
      {"POST",
       "/raw_data_package/",
       {{"name", "p"}, {"executed_obs_unit_id", uuid}, {"instrument_module_id", 1}},
       "name",
       "instrument_module_id",
       int32_over},
      {"PUT",
       "/raw_data_package/" + uuid + "/finalize",
       {{"checksum", "c"}, {"size_bytes", 1}},
       "checksum",
       "size_bytes",
       int64_over},
  };
}

std::vector<BadInput> bad_inputs() {
  const auto text_field = [](const Endpoint& e) { return e.text_field; };
  const auto int_field = [](const Endpoint& e) { return *e.int_field; };
  return {
      {"malformed JSON",
       [](const Endpoint& e) {
         auto text = e.valid.dump();
         return text.substr(0, text.size() - 1);
       },
       400, "bad_request", [](const Endpoint&) { return "request body is not valid JSON"; }},
      {"duplicate key",
       [](const Endpoint& e) {
         const auto key = last_key(e.text_field);
         return with_raw_value(e, e.text_field, R"("a", ")" + key + R"(": "b")");
       },
       400, "bad_request", text_field},
      {"invalid UTF-8",
       [](const Endpoint& e) { return with_raw_value(e, e.text_field, "\"a\xff\""); }, 400,
       "bad_request", text_field},
      {"lone surrogate escape",
       [](const Endpoint& e) { return with_raw_value(e, e.text_field, R"("\ud800")"); }, 400,
       "bad_request", text_field},
      {"NUL in text",
       [](const Endpoint& e) { return with_raw_value(e, e.text_field, R"("a\u0000b")"); }, 400,
       "bad_request", text_field},
      {"over-long string",
       [](const Endpoint& e) {
         return with_raw_value(e, e.text_field,
                               "\"" + std::string(kHostileLimits.max_string + 1, 'a') + "\"");
       },
       400, "bad_request", text_field},
      {"too deep",
       [](const Endpoint& e) {
         return with_raw_value(e, e.text_field,
                               std::string(kHostileLimits.max_depth, '[') + "1" +
                                   std::string(kHostileLimits.max_depth, ']'));
       },
       400, "bad_request", text_field},
      {"number out of range",
       [](const Endpoint& e) { return with_raw_value(e, e.text_field, "1e999999"); }, 400,
       "bad_request", text_field},
      {"wrong type", [](const Endpoint& e) { return with_raw_value(e, e.text_field, "12"); }, 400,
       "bad_request", text_field},
      {"integer beyond the column's type",
       [](const Endpoint& e) -> std::optional<std::string> {
         if (!e.int_field) return std::nullopt;
         return with_raw_value(e, *e.int_field, e.int_too_big);
       },
       400, "bad_request", int_field},
      {"unknown field",
       [](const Endpoint& e) {
         json body = e.valid;
         body[pointer(e.text_field).parent_pointer() / "bogus"] = 1;
         return body.dump();
       },
       400, "bad_request", [](const Endpoint&) { return "bogus"; }},
      {"not an object or array", [](const Endpoint&) { return "42"; }, 400, "bad_request",
       [](const Endpoint&) { return "body"; }},
      {"bulk over the array limit",
       [](const Endpoint& e) -> std::optional<std::string> {
         if (!e.valid.is_array()) return std::nullopt;
         json files = json::array();
         for (std::size_t i = 0; i <= kHostileLimits.max_bulk_files; ++i) {
           auto file = e.valid[0];
           file["relative_path"] = "obs/" + std::to_string(i);
           files.push_back(file);
         }
         return files.dump();
       },
       413, "payload_too_large",
       [](const Endpoint&) {
         return "more than " + std::to_string(kHostileLimits.max_bulk_files);
       }},
  };
}

}  // namespace opsdb::test
