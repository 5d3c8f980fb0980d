#pragma once

#include "opsdb/api/write_sink.hpp"
#include "opsdb/db/database.hpp"

namespace opsdb {

/// The main site's write path: executes each transaction synchronously on the main database
/// and reports "applied", or the database's verdict as a client error.
class DirectWriter final : public WriteSink {
 public:
  explicit DirectWriter(Database& main_db) : db_(main_db) {}
  void submit(BuiltWrite write, std::function<void(WriteResult)> done) override;

 private:
  Database& db_;
};

/// The client-facing error for a database failure: unreachable → 503; a data error → 404 for
/// an update of a missing row, 409 for a duplicate, 422 for anything else the data violated.
ApiError to_api_error(const Error& error);

}  // namespace opsdb
