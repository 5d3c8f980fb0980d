#pragma once

#include "opsdb/api/write_sink.hpp"
#include "opsdb/tx/write_buffer.hpp"

namespace opsdb {

/// The secondary site's write path: buffers each transaction durably and reports "buffered" as
/// soon as the buffer confirmed it. Never waits on the main database.
class BufferedWriter final : public WriteSink {
 public:
  explicit BufferedWriter(WriteBuffer& buffer) : buffer_(buffer) {}
  void submit(BuiltWrite write, std::function<void(WriteResult)> done) override;

 private:
  WriteBuffer& buffer_;
};

}  // namespace opsdb
