#pragma once

#include "opsdb/buffer/transaction_buffer.hpp"
#include "opsdb/status/transaction_status.hpp"
#include "opsdb/tx/write_buffer.hpp"

namespace opsdb {

/// Offers the Redis transaction buffer through the ports the API uses, turning its JSON replies
/// into typed values and its client errors into faults.
class TransactionBufferPorts final : public WriteBuffer,
                                     public BufferInspector,
                                     public DeadLetters {
 public:
  explicit TransactionBufferPorts(TransactionBuffer& buffer) : buffer_(buffer) {}

  void enqueue(const Transaction& tx, Callback<void> done) override;
  void stats(Callback<BufferStats> done) override;
  void status(const std::string& transaction_id, Callback<TransactionStatus> done) override;
  void list(std::size_t limit, Callback<std::vector<FailedTransaction>> done) override;
  void replay(const std::string& transaction_id, Callback<void> done) override;
  void resolve(const std::string& transaction_id, const std::string& reason,
               Callback<void> done) override;

 private:
  TransactionBuffer& buffer_;
};

}  // namespace opsdb
