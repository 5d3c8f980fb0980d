#pragma once

#include "opsdb/api/write_sink.hpp"
#include "opsdb/tx/write_buffer.hpp"

namespace opsdb {

/// The secondary site's write path: buffers each transaction durably and reports "buffered" as
/// soon as the buffer confirmed it. Never waits on the main database.
class BufferedWriter final : public WriteSink {
 public:
  explicit BufferedWriter(WriteBuffer& buffer) : buffer_(buffer) {}
  void submit(BuiltWrite write, std::function<void(WriteResult)> done) override {
    buffer_.enqueue(write.tx, [done = std::move(done)](Result<void> r) {
      if (r.ok()) return done(WriteResult{std::nullopt, "buffered"});
      done(WriteResult{ApiError(ErrorKind::unavailable,
                                "the transaction buffer (Redis) is unavailable; the write was "
                                "not accepted"),
                       ""});
    });
  }

 private:
  WriteBuffer& buffer_;
};

}  // namespace opsdb
