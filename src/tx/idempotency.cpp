#include "opsdb/tx/idempotency.hpp"

#include <map>

#include "opsdb/core/digest.hpp"
#include "opsdb/core/error.hpp"
#include "opsdb/core/uuid.hpp"

namespace opsdb {
namespace {

// The namespace of the transaction ids derived from keys (a fixed random UUID of this project).
constexpr std::string_view kKeyNamespace = "5b0c3e0e-8f4a-4d8e-9a57-1f6c2d9e4b31";

using IdMap = std::map<std::string, std::string>;

// Every string of `value` that is a generated id, replaced by its derived id.
void replace_ids(nlohmann::json& value, const IdMap& ids) {
  if (value.is_string()) {
    auto it = ids.find(value.get_ref<const std::string&>());
    if (it != ids.end()) value = it->second;
  } else if (value.is_structured()) {
    for (auto& child : value) replace_ids(child, ids);
  }
}

void add_row_id(IdMap& ids, const nlohmann::json& row, const std::string& transaction_id) {
  auto it = row.find("id");
  if (it == row.end() || !it->is_string()) return;
  ids.emplace(it->get<std::string>(),
              name_uuid(transaction_id, "row " + std::to_string(ids.size())));
}

}  // namespace

void check_idempotency_key(std::string_view key) {
  bool visible = !key.empty() && key.size() <= kMaxIdempotencyKey;
  for (const char c : key) visible = visible && c > 0x20 && c < 0x7f;
  if (!visible) {
    throw ApiError(ErrorKind::bad_request,
                   "Idempotency-Key must be 1 to " + std::to_string(kMaxIdempotencyKey) +
                       " visible ASCII characters");
  }
}

std::string request_hash(std::string_view method, std::string_view path, std::string_view body) {
  std::string text;
  text.reserve(method.size() + path.size() + body.size() + 2);
  text.append(method).append(" ").append(path).append("\n").append(body);
  return sha256_hex(text);
}

void make_idempotent(BuiltWrite& write, std::string_view site, std::string_view key,
                     const std::string& hash) {
  auto& tx = write.tx;
  std::string name(site);
  name.append("\n").append(key);
  const auto transaction_id = name_uuid(kKeyNamespace, name);
  // Inserted rows in step order: the same request builds them in the same order.
  IdMap ids{{tx.id, transaction_id}};
  for (const auto& step : tx.steps) {
    if (step.op == Step::Op::insert) add_row_id(ids, step.row, transaction_id);
    if (step.op == Step::Op::insert_many) {
      for (const auto& row : step.rows) add_row_id(ids, row, transaction_id);
    }
  }
  tx.id = transaction_id;
  for (auto& step : tx.steps) {
    replace_ids(step.row, ids);
    replace_ids(step.rows, ids);
    replace_ids(step.set, ids);
    auto target = ids.find(step.id);
    if (target != ids.end()) step.id = target->second;
  }
  replace_ids(write.response, ids);
  Step record;
  record.op = Step::Op::insert;
  record.table = "idempotent_request";
  record.row = {{"id", transaction_id}, {"request_hash", hash}, {"created_at", tx.created_at}};
  tx.steps.push_back(std::move(record));
  write.request_hash = hash;
}

}  // namespace opsdb
