#include "opsdb/api/buffered_writer.hpp"

#include "opsdb/api/error_mapping.hpp"

namespace opsdb {

void BufferedWriter::submit(BuiltWrite write, std::function<void(WriteResult)> done) {
  buffer_.enqueue(write.tx, [done = std::move(done)](Status result) {
    if (!result.ok())
      return done(WriteResult{to_api_error(result.error(), Dependency::buffer), ""});
    done(WriteResult{std::nullopt, "buffered"});
  });
}

}  // namespace opsdb
