#pragma once

#include "opsdb/api/write_sink.hpp"
#include "opsdb/buffer/transaction_buffer.hpp"

namespace opsdb {

/// The secondary site's write path: buffers each transaction durably in Redis and reports
/// "buffered" as soon as Redis confirmed it. Never waits on the main database.
class BufferedWriter final : public WriteSink {
 public:
  explicit BufferedWriter(TransactionBuffer& buffer) : buffer_(buffer) {}
  void submit(BuiltWrite write, std::function<void(WriteResult)> done) override {
    buffer_.enqueue(write.tx, [done = std::move(done)](std::optional<ApiError> error) {
      const bool accepted = !error;
      done(WriteResult{std::move(error), accepted ? "buffered" : ""});
    });
  }

 private:
  TransactionBuffer& buffer_;
};

}  // namespace opsdb
