#pragma once

#include <memory>
#include <string>
#include <vector>

#include "opsdb/config/config.hpp"

namespace opsdb::test {

/// Direct, blocking access to a database of the stack for assertions in tests.
class PgProbe {
 public:
  explicit PgProbe(const DbConfig& db);
  ~PgProbe();

  /// First column of the first row as an integer (e.g. a count).
  long long scalar(const std::string& sql, const std::vector<std::string>& params = {});
  /// First column of every row, as text.
  std::vector<std::string> column(const std::string& sql,
                                  const std::vector<std::string>& params = {});
  void exec(const std::string& sql, const std::vector<std::string>& params = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsdb::test
