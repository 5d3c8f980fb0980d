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

/// The local replica's WAL replay paused for the lifetime of the object (the replica keeps
/// receiving, but replays nothing, so nothing written since can be confirmed replicated);
/// resume() ends the pause early, the destructor in any case.
class ReplayPause {
 public:
  ReplayPause();
  ~ReplayPause();
  ReplayPause(const ReplayPause&) = delete;
  ReplayPause& operator=(const ReplayPause&) = delete;

  void resume();

 private:
  PgProbe replica_;
};

}  // namespace opsdb::test
