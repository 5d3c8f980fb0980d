#include "opsdb/tx/transaction_builder.hpp"

#include <set>

#include "opsdb/core/error.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

const Table& table(const char* name) {
  return *SchemaRegistry::instance().table(name);
}

// Reads the fields of one JSON object, validating each against a registry column, collecting
// every problem so the client learns all of them at once.
class BodyReader {
 public:
  BodyReader(const nlohmann::json& body, nlohmann::json& problems, std::string prefix = {})
      : body_(body), problems_(problems), prefix_(std::move(prefix)) {
    if (!body_.is_object()) problem("", "must be a JSON object");
  }

  /// The value of `field`, checked as `table.column`; null when absent or invalid.
  nlohmann::json take(const std::string& field, const Table& table, bool required,
                      const std::string& column_name = {}) {
    const Column* column = table.column(column_name.empty() ? field : column_name);
    auto value = raw(field, required);
    if (value.is_null() && !contains(field)) return nullptr;
    if (auto error = SchemaRegistry::instance().check_value(*column, value)) {
      problem(field, *error);
      return nullptr;
    }
    // Refused here, at the API: buffered, the main database would refuse it much later. The
    // drain does not rely on this (it isolates what the database refuses).
    if (contains_nul(value)) {
      problem(field, "must not contain NUL characters (\\u0000)");
      return nullptr;
    }
    return value;
  }

  /// The raw value of `field` (null when absent); reports it missing when required.
  nlohmann::json raw(const std::string& field, bool required) {
    seen_.insert(field);
    if (!body_.is_object() || !body_.contains(field)) {
      if (required) problem(field, "is required");
      return nullptr;
    }
    return body_.at(field);
  }

  bool contains(const std::string& field) const {
    return body_.is_object() && body_.contains(field);
  }

  void problem(const std::string& field, const std::string& message) {
    problems_.push_back({{"field", prefix_ + field}, {"message", message}});
  }

  /// Reports every field that no `take`/`raw` asked for.
  void reject_unknown() {
    if (!body_.is_object()) return;
    for (const auto& [key, _] : body_.items()) {
      if (!seen_.count(key)) problem(key, "is not a known field");
    }
  }

 private:
  const nlohmann::json& body_;
  nlohmann::json& problems_;
  std::string prefix_;
  std::set<std::string> seen_;
};

void throw_if_problems(const nlohmann::json& problems) {
  if (problems.empty()) return;
  std::string first = problems[0]["field"].get<std::string>();
  std::string message =
      (first.empty() ? "body" : first) + " " + problems[0]["message"].get<std::string>();
  if (problems.size() > 1) message += " (and " + std::to_string(problems.size() - 1) + " more)";
  throw ApiError(ErrorKind::bad_request, message, {{"problems", problems}});
}

void put_if(nlohmann::json& row, const char* column, nlohmann::json value) {
  if (!value.is_null()) row[column] = std::move(value);
}

// A raw_data_file row from one request object; `prefix` locates problems in bulk bodies.
nlohmann::json file_row(const nlohmann::json& body, nlohmann::json& problems,
                        const std::string& prefix, const std::string& now) {
  const auto& files = table("raw_data_file");
  BodyReader r(body, problems, prefix);
  nlohmann::json row = {{"id", new_uuid()}, {"created_at", now}};
  for (const char* field : {"name", "relative_path", "executed_obs_unit_id", "instrument_module_id",
                            "size_bytes", "checksum"}) {
    put_if(row, field, r.take(field, files, true));
  }
  put_if(row, "file_type", r.take("file_type", files, false));
  put_if(row, "raw_data_package_id", r.take("raw_data_package_id", files, false));
  r.reject_unknown();
  return row;
}

// Every nullable column the row leaves out, as an explicit null: the row is then the whole
// record as the database will hold it, so a read of the buffered copy answers what a read of the
// replica answers later.
nlohmann::json complete_row(const std::string& table_name, nlohmann::json row) {
  for (const auto& column : table(table_name.c_str()).columns) {
    if (column.nullable && !row.contains(column.name)) row[column.name] = nullptr;
  }
  return row;
}

Step insert(const char* table_name, nlohmann::json row) {
  Step s;
  s.op = Step::Op::insert;
  s.table = table_name;
  s.row = complete_row(table_name, std::move(row));
  return s;
}

Step insert_many(const char* table_name, nlohmann::json rows) {
  Step s;
  s.op = Step::Op::insert_many;
  s.table = table_name;
  s.rows = nlohmann::json::array();
  for (auto& row : rows) s.rows.push_back(complete_row(table_name, std::move(row)));
  return s;
}

Step update(const char* table_name, std::string id, nlohmann::json set) {
  Step s;
  s.op = Step::Op::update;
  s.table = table_name;
  s.id = std::move(id);
  s.set = std::move(set);
  return s;
}

nlohmann::json status_change(const std::string& observation_id, const nlohmann::json& to_status,
                             const nlohmann::json& reason, const std::string& at) {
  nlohmann::json row = {{"id", new_uuid()},
                        {"executed_obs_unit_id", observation_id},
                        {"to_status", to_status},
                        {"changed_at", at}};
  put_if(row, "reason", reason);
  return row;
}

const char* reason_name(JsonRefusal::Reason reason) {
  using Reason = JsonRefusal::Reason;
  switch (reason) {
    case Reason::syntax:
      return "syntax";
    case Reason::invalid_utf8:
      return "invalid_utf8";
    case Reason::too_deep:
      return "too_deep";
    case Reason::string_too_long:
      return "string_too_long";
    case Reason::array_too_long:
      return "array_too_long";
    case Reason::duplicate_key:
      return "duplicate_key";
    case Reason::number_out_of_range:
      return "number_out_of_range";
  }
  return "syntax";
}

ApiError refused_body(const JsonRefusal& refusal) {
  const auto& field = refusal.field();
  nlohmann::json problem = {{"field", field}, {"message", refusal.problem()}};
  nlohmann::json details = {{"reason", reason_name(refusal.reason())},
                            {"problems", nlohmann::json::array({std::move(problem)})}};
  if (refusal.reason() == JsonRefusal::Reason::syntax ||
      refusal.reason() == JsonRefusal::Reason::invalid_utf8) {
    details["byte"] = refusal.byte();
  }
  return ApiError(ErrorKind::bad_request,
                  (field.empty() ? "request body" : field) + " " + refusal.problem(),
                  std::move(details));
}

[[noreturn]] void too_many_files(std::size_t max_files) {
  throw ApiError(ErrorKind::payload_too_large,
                 "request body holds more than " + std::to_string(max_files) + " files; at most " +
                     std::to_string(max_files) + " per request",
                 {{"reason", "array_too_long"}, {"max_files", max_files}});
}

}  // namespace

nlohmann::json parse_body(const std::string& body, const JsonLimits& limits) {
  if (body.empty()) throw ApiError(ErrorKind::bad_request, "request body is empty; expected JSON");
  try {
    return parse_json_strict(body, limits);
  } catch (const JsonRefusal& refusal) {
    throw refused_body(refusal);
  }
}

nlohmann::json TransactionBuilder::parse(const std::string& body) const {
  return parse_body(body, {.max_depth = limits_.max_depth, .max_string = limits_.max_string});
}

nlohmann::json TransactionBuilder::parse_files(const std::string& body) const {
  if (body.empty()) throw ApiError(ErrorKind::bad_request, "request body is empty; expected JSON");
  try {
    // Any longer array in a bulk body is refused too: a file has no array fields.
    return parse_json_strict(body, {.max_depth = limits_.max_depth,
                                    .max_string = limits_.max_string,
                                    .max_array_items = limits_.max_bulk_files});
  } catch (const JsonRefusal& refusal) {
    if (refusal.reason() == JsonRefusal::Reason::array_too_long && refusal.field().empty()) {
      too_many_files(limits_.max_bulk_files);
    }
    throw refused_body(refusal);
  }
}

std::string path_uuid(const std::string& segment, const char* what) {
  if (!is_uuid(segment)) {
    throw ApiError(ErrorKind::bad_request, std::string(what) + " '" + segment + "' is not a UUID");
  }
  return normalize_uuid(segment);
}

Transaction TransactionBuilder::new_transaction(std::string origin) const {
  Transaction tx;
  tx.id = new_uuid();
  tx.site = site_;
  tx.origin = std::move(origin);
  tx.created_at = format_timestamp(clock_.now());
  return tx;
}

BuiltWrite TransactionBuilder::start_observation(const nlohmann::json& body) const {
  const auto& observations = table("executed_obs_unit");
  const auto& configurations = table("instrument_module_configuration");
  nlohmann::json problems = nlohmann::json::array();
  BodyReader r(body, problems);
  auto now = format_timestamp(clock_.now());
  auto id = new_uuid();
  nlohmann::json row = {{"id", id}, {"created_at", now}, {"updated_at", now}};
  put_if(row, "obs_unit_id", r.take("obs_unit_id", observations, true));
  auto start_time = r.take("start_time", observations, false);
  row["start_time"] = start_time.is_null() ? nlohmann::json(now) : start_time;
  auto status = r.take("status", observations, false);
  row["status"] = status.is_null() ? nlohmann::json("running") : status;
  auto conditions = r.take("conditions", observations, false);
  row["conditions"] = conditions.is_null() ? nlohmann::json::object() : conditions;

  auto config_rows = nlohmann::json::array();
  auto configs = r.raw("instrument_module_configurations", false);
  if (!configs.is_null() && !configs.is_array()) {
    r.problem("instrument_module_configurations", "must be an array");
  } else if (configs.is_array()) {
    for (size_t i = 0; i < configs.size(); ++i) {
      BodyReader c(configs[i], problems,
                   "instrument_module_configurations[" + std::to_string(i) + "].");
      nlohmann::json config = {{"id", new_uuid()}, {"executed_obs_unit_id", id}};
      put_if(config, "instrument_module_id", c.take("instrument_module_id", configurations, true));
      put_if(config, "configuration", c.take("configuration", configurations, true));
      auto recorded_at = c.take("recorded_at", configurations, false);
      config["recorded_at"] = recorded_at.is_null() ? row["start_time"] : recorded_at;
      c.reject_unknown();
      config_rows.push_back(std::move(config));
    }
  }
  r.reject_unknown();
  throw_if_problems(problems);

  BuiltWrite w{new_transaction("POST /executed_obs_units/start"), {{"id", id}}};
  w.tx.steps.push_back(insert("executed_obs_unit", row));
  w.tx.steps.push_back(insert("executed_obs_unit_status_change",
                              status_change(id, row["status"], nullptr, row["start_time"])));
  if (!config_rows.empty()) {
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& c : config_rows) ids.push_back(c["id"]);
    w.response["instrument_module_configuration_ids"] = std::move(ids);
    w.tx.steps.push_back(insert_many("instrument_module_configuration", std::move(config_rows)));
  }
  return w;
}

BuiltWrite TransactionBuilder::finish_observation(const std::string& id_segment,
                                                  const nlohmann::json& body) const {
  auto id = path_uuid(id_segment, "executed_obs_unit id");
  const auto& observations = table("executed_obs_unit");
  nlohmann::json problems = nlohmann::json::array();
  BodyReader r(body, problems);
  auto now = format_timestamp(clock_.now());
  auto status = r.take("status", observations, true);
  if (status == "running") r.problem("status", "must be one of completed, failed, aborted");
  auto end_time = r.take("end_time", observations, false);
  if (end_time.is_null()) end_time = now;
  auto reason = r.take("reason", table("executed_obs_unit_status_change"), false);
  r.reject_unknown();
  throw_if_problems(problems);

  BuiltWrite w{new_transaction("PUT /executed_obs_units/{id}/finish"), {{"id", id}}};
  w.tx.steps.push_back(update("executed_obs_unit", id,
                              {{"status", status}, {"end_time", end_time}, {"updated_at", now}}));
  w.tx.steps.push_back(
      insert("executed_obs_unit_status_change", status_change(id, status, reason, end_time)));
  return w;
}

BuiltWrite TransactionBuilder::change_status(const std::string& id_segment,
                                             const nlohmann::json& body) const {
  auto id = path_uuid(id_segment, "executed_obs_unit id");
  nlohmann::json problems = nlohmann::json::array();
  BodyReader r(body, problems);
  auto now = format_timestamp(clock_.now());
  auto status = r.take("status", table("executed_obs_unit"), true);
  auto reason = r.take("reason", table("executed_obs_unit_status_change"), false);
  r.reject_unknown();
  throw_if_problems(problems);

  BuiltWrite w{new_transaction("PUT /executed_obs_units/{id}/status"), {{"id", id}}};
  w.tx.steps.push_back(update("executed_obs_unit", id, {{"status", status}, {"updated_at", now}}));
  w.tx.steps.push_back(
      insert("executed_obs_unit_status_change", status_change(id, status, reason, now)));
  return w;
}

BuiltWrite TransactionBuilder::add_instrument_configuration(const std::string& id_segment,
                                                            const nlohmann::json& body) const {
  auto observation_id = path_uuid(id_segment, "executed_obs_unit id");
  const auto& configurations = table("instrument_module_configuration");
  nlohmann::json problems = nlohmann::json::array();
  BodyReader r(body, problems);
  auto id = new_uuid();
  nlohmann::json row = {{"id", id}, {"executed_obs_unit_id", observation_id}};
  put_if(row, "instrument_module_id", r.take("instrument_module_id", configurations, true));
  put_if(row, "configuration", r.take("configuration", configurations, true));
  auto recorded_at = r.take("recorded_at", configurations, false);
  row["recorded_at"] =
      recorded_at.is_null() ? nlohmann::json(format_timestamp(clock_.now())) : recorded_at;
  r.reject_unknown();
  throw_if_problems(problems);

  BuiltWrite w{new_transaction("POST /executed_obs_units/{id}/instrument_configurations"),
               {{"id", id}, {"executed_obs_unit_id", observation_id}}};
  w.tx.steps.push_back(insert("instrument_module_configuration", std::move(row)));
  return w;
}

BuiltWrite TransactionBuilder::register_file(const nlohmann::json& body) const {
  nlohmann::json problems = nlohmann::json::array();
  auto row = file_row(body, problems, "", format_timestamp(clock_.now()));
  throw_if_problems(problems);
  BuiltWrite w{new_transaction("POST /raw_data_files/"), {{"id", row["id"]}}};
  w.tx.steps.push_back(insert("raw_data_file", std::move(row)));
  return w;
}

BuiltWrite TransactionBuilder::register_files(const nlohmann::json& body) const {
  if (!body.is_array() || body.empty()) {
    throw ApiError(ErrorKind::bad_request, "body must be a non-empty JSON array of files");
  }
  if (body.size() > limits_.max_bulk_files) too_many_files(limits_.max_bulk_files);
  nlohmann::json problems = nlohmann::json::array();
  auto now = format_timestamp(clock_.now());
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json ids = nlohmann::json::array();
  std::set<std::string> paths;
  for (size_t i = 0; i < body.size(); ++i) {
    auto prefix = "[" + std::to_string(i) + "].";
    auto row = file_row(body[i], problems, prefix, now);
    if (row.contains("relative_path") && !paths.insert(row["relative_path"]).second) {
      problems.push_back({{"field", prefix + "relative_path"},
                          {"message", "appears more than once in this request"}});
    }
    ids.push_back(row["id"]);
    rows.push_back(std::move(row));
  }
  throw_if_problems(problems);
  BuiltWrite w{new_transaction("POST /raw_data_files/bulk"), {{"count", ids.size()}, {"ids", ids}}};
  w.tx.steps.push_back(insert_many("raw_data_file", std::move(rows)));
  return w;
}

BuiltWrite TransactionBuilder::create_package(const nlohmann::json& body) const {
  const auto& packages = table("raw_data_package");
  nlohmann::json problems = nlohmann::json::array();
  BodyReader r(body, problems);
  auto now = format_timestamp(clock_.now());
  auto id = new_uuid();
  nlohmann::json row = {
      {"id", id}, {"status", "building"}, {"created_at", now}, {"updated_at", now}};
  for (const char* field : {"name", "executed_obs_unit_id", "instrument_module_id"}) {
    put_if(row, field, r.take(field, packages, true));
  }
  for (const char* field : {"size_bytes", "checksum"}) {
    put_if(row, field, r.take(field, packages, false));
  }
  // The database's default, stated so that the buffered record is the whole record.
  auto state = r.take("state", packages, false);
  row["state"] = state.is_null() ? nlohmann::json("waiting") : state;
  auto metadata = r.take("metadata", packages, false);
  row["metadata"] = metadata.is_null() ? nlohmann::json::object() : metadata;

  std::vector<std::string> file_ids;
  auto files = r.raw("raw_data_file_ids", false);
  if (!files.is_null() && !files.is_array()) {
    r.problem("raw_data_file_ids", "must be an array of UUIDs");
  } else if (files.is_array()) {
    for (const auto& f : files) {
      if (!f.is_string() || !is_uuid(f.get<std::string>())) {
        r.problem("raw_data_file_ids", "must be an array of UUIDs");
        break;
      }
      file_ids.push_back(normalize_uuid(f.get<std::string>()));
    }
  }
  r.reject_unknown();
  throw_if_problems(problems);

  BuiltWrite w{new_transaction("POST /raw_data_package/"), {{"id", id}}};
  w.tx.steps.push_back(insert("raw_data_package", std::move(row)));
  for (const auto& file_id : file_ids) {
    w.tx.steps.push_back(update("raw_data_file", file_id, {{"raw_data_package_id", id}}));
  }
  return w;
}

BuiltWrite TransactionBuilder::finalize_package(const std::string& id_segment,
                                                const nlohmann::json& body) const {
  auto id = path_uuid(id_segment, "raw_data_package id");
  const auto& packages = table("raw_data_package");
  nlohmann::json problems = nlohmann::json::array();
  BodyReader r(body, problems);
  nlohmann::json set = {{"status", "complete"}, {"updated_at", format_timestamp(clock_.now())}};
  put_if(set, "size_bytes", r.take("size_bytes", packages, false));
  put_if(set, "checksum", r.take("checksum", packages, false));
  r.reject_unknown();
  throw_if_problems(problems);

  BuiltWrite w{new_transaction("PUT /raw_data_package/{id}/finalize"), {{"id", id}}};
  w.tx.steps.push_back(update("raw_data_package", id, std::move(set)));
  return w;
}

}  // namespace opsdb
