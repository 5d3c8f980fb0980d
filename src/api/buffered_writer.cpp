#include "opsdb/api/buffered_writer.hpp"

#include "opsdb/api/error_mapping.hpp"

namespace opsdb {

void BufferedWriter::submit(BuiltWrite write, std::function<void(WriteResult)> done) {
  if (write.request_hash) {
    auto hash = *write.request_hash;
    return buffer_.enqueue_once(
        write.tx, hash,
        [done = std::move(done), hash](Result<std::optional<std::string>> result) {
          if (!result.ok())
            return done(WriteResult{to_api_error(result.error(), Dependency::buffer_write), ""});
          if (!*result) return done(WriteResult{std::nullopt, "buffered"});
          done(answer_retry(**result == hash, "buffered"));
        });
  }
  buffer_.enqueue(write.tx, [done = std::move(done)](Status result) {
    if (!result.ok())
      return done(WriteResult{to_api_error(result.error(), Dependency::buffer_write), ""});
    done(WriteResult{std::nullopt, "buffered"});
  });
}

}  // namespace opsdb
