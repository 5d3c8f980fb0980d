#include "opsdb/buffer/file_journal.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace opsdb {
namespace {

constexpr char kMagic[4] = {'O', 'P', 'J', '1'};
constexpr std::size_t kHeader = 12;
// No write comes near this (request bodies are limited far below it); a length above it is a
// torn or foreign header, not a record.
constexpr std::uint32_t kMaxPayload = 256u << 20;

std::uint32_t crc32(std::string_view data) {
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string system_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

/// Reads exactly `size` bytes at `offset`, fewer only at the end of the file.
std::string read_at(int fd, std::uint64_t offset, std::size_t size) {
  std::string out(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(system_error("journal read failed"));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

void write_all(int fd, std::uint64_t offset, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(system_error("journal write failed"));
    done += static_cast<std::size_t>(n);
  }
}

void sync(int fd) {
  if (::fdatasync(fd) != 0) throw std::runtime_error(system_error("journal fsync failed"));
}

/// The payload of the record at `offset`, or none when no intact record starts there.
std::optional<DecodedRecord> read_record(int fd, std::uint64_t offset) {
  auto header = read_at(fd, offset, kHeader);
  if (header.size() < kHeader) return std::nullopt;
  const std::uint32_t length = get_u32(std::string_view(header).substr(4));
  if (length > kMaxPayload) return std::nullopt;
  header += read_at(fd, offset + kHeader, length);
  return decode_journal_record(header);
}

JournaledWrite parse_payload(const std::string& payload) {
  auto doc = nlohmann::json::parse(payload);
  JournaledWrite write{Transaction::from_json(doc.at("tx")), std::nullopt};
  if (doc.contains("request_hash") && doc["request_hash"].is_string()) {
    write.request_hash = doc["request_hash"].get<std::string>();
  }
  return write;
}

}  // namespace

std::string encode_journal_record(const std::string& payload) {
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  put_u32(out, crc32(payload));
  out += payload;
  return out;
}

std::optional<DecodedRecord> decode_journal_record(std::string_view data) {
  if (data.size() < kHeader || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    return std::nullopt;
  }
  const std::uint32_t length = get_u32(data.substr(4));
  if (length > kMaxPayload || data.size() - kHeader < length) return std::nullopt;
  auto payload = data.substr(kHeader, length);
  if (crc32(payload) != get_u32(data.substr(8))) return std::nullopt;
  return DecodedRecord{std::string(payload), kHeader + length};
}

FileJournal::FileJournal(JournalOptions options) : options_(std::move(options)) {
  fd_ = ::open(options_.path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error(system_error("cannot open the journal " + options_.path));
  try {
    // Two servers appending to one journal would interleave their records.
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      throw std::runtime_error(system_error("the journal " + options_.path +
                                            " is in use by another process"));
    }
    recover();
    // A new file's directory entry must be durable too, or a power cut could lose the file with
    // every record fsynced into it.
    const auto slash = options_.path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : options_.path.substr(0, slash + 1);
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
  } catch (...) {
    ::close(fd_);
    throw;
  }
  writer_ = std::thread([this] { write_loop(); });
}

FileJournal::~FileJournal() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    interrupted_ = true;
  }
  wake_writer_.notify_all();
  wake_replay_.notify_all();
  // The writer finishes what is queued first: those writes' clients are waiting for them.
  if (writer_.joinable()) writer_.join();
  ::close(fd_);
}

void FileJournal::recover() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw std::runtime_error(system_error("cannot stat the journal"));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t offset = 0;
  while (offset < size) {
    auto record = read_record(fd_, offset);
    if (!record) break;
    try {
      auto write = parse_payload(record->payload);
      waiting_.emplace(write.tx.id, write.request_hash.value_or(""));
      ++records_;
    } catch (const std::exception& e) {
      // Intact on disk but not a journaled write: written by something else. Stop here too.
      spdlog::error("journal {}: record at byte {} is not a write ({})", options_.path, offset,
                    e.what());
      break;
    }
    offset += record->size;
  }
  if (offset < size) {
    const auto aside = options_.path + ".damaged-" + std::to_string(std::time(nullptr));
    const int out = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out >= 0) {
      write_all(out, 0, read_at(fd_, offset, static_cast<std::size_t>(size - offset)));
      ::fsync(out);
      ::close(out);
    }
    spdlog::error(
        "journal {}: bytes {}..{} are not intact records (a write torn by a crash or power cut); "
        "they were moved to {} and cut off; the {} records before them are kept",
        options_.path, offset, size, out >= 0 ? aside : "(could not be saved)", records_);
    if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
      throw std::runtime_error(system_error("cannot cut the journal's damaged tail"));
    }
    sync(fd_);
  }
  end_ = offset;
  if (records_ > 0) {
    spdlog::warn("journal {}: {} writes from before the restart wait to be replayed into the buffer",
                 options_.path, records_);
  }
}

bool FileJournal::active() const {
  std::lock_guard lock(mutex_);
  return !queue_.empty() || writing_ || replay_offset_ < end_;
}

void FileJournal::append(JournaledWrite write, Callback<void> done) {
  nlohmann::json doc = {{"tx", write.tx.to_json()}, {"request_hash", nullptr}};
  if (write.request_hash) doc["request_hash"] = *write.request_hash;
  Append entry{encode_journal_record(doc.dump()), write.tx.id, write.request_hash.value_or(""),
               std::move(done)};
  std::optional<Error> refused;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      refused = Error{Fault::unavailable, "the journal is closing", "journal_closed"};
    } else if (end_ + queued_bytes_ + entry.bytes.size() > options_.max_bytes) {
      refused = Error{Fault::unavailable,
                      "the local journal is full (" + std::to_string(options_.max_bytes) +
                          " bytes)",
                      "journal_full"};
    } else {
      queued_bytes_ += entry.bytes.size();
      queue_.push_back(std::move(entry));
    }
  }
  if (refused) return entry.done(std::move(*refused));
  wake_writer_.notify_one();
}

std::optional<std::string> FileJournal::find(const std::string& transaction_id) const {
  std::lock_guard lock(mutex_);
  auto it = waiting_.find(transaction_id);
  if (it == waiting_.end()) return std::nullopt;
  return it->second;
}

void FileJournal::write_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_writer_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything written
    std::deque<Append> batch;
    batch.swap(queue_);
    const std::uint64_t batch_bytes = std::exchange(queued_bytes_, 0);
    const std::uint64_t at = end_;
    writing_ = true;
    lock.unlock();

    std::string bytes;
    bytes.reserve(batch_bytes);
    for (const auto& entry : batch) bytes += entry.bytes;
    std::optional<Error> failure;
    try {
      write_all(fd_, at, bytes);
      sync(fd_);
    } catch (const std::exception& e) {
      failure = Error{Fault::unavailable, e.what(), "journal_io"};
      spdlog::error("journal {}: {}; {} writes refused", options_.path, e.what(), batch.size());
      // Nothing of the batch counts: cut back whatever part of it reached the file.
      if (::ftruncate(fd_, static_cast<off_t>(at)) != 0) {
        spdlog::error("journal {}: cannot cut a failed append back: {}", options_.path,
                      std::strerror(errno));
      }
    }

    lock.lock();
    writing_ = false;
    if (!failure) {
      end_ = at + bytes.size();
      for (const auto& entry : batch) waiting_.emplace(entry.transaction_id, entry.request_hash);
      records_ += batch.size();
    }
    lock.unlock();
    if (!failure) wake_replay_.notify_all();
    for (auto& entry : batch) {
      if (failure) {
        entry.done(*failure);
      } else {
        entry.done({});
      }
    }
    lock.lock();
  }
}

std::optional<JournalRecord> FileJournal::next() {
  std::uint64_t offset = 0;
  {
    std::lock_guard lock(mutex_);
    if (replay_offset_ >= end_) return std::nullopt;
    offset = replay_offset_;
  }
  // Below end_ the file only changes by the replay itself, which is this caller.
  auto record = read_record(fd_, offset);
  if (!record) {
    throw std::runtime_error("journal " + options_.path + ": record at byte " +
                             std::to_string(offset) + " cannot be read back");
  }
  return JournalRecord{parse_payload(record->payload), offset + record->size};
}

void FileJournal::replayed(const JournalRecord& record) {
  std::lock_guard lock(mutex_);
  replay_offset_ = record.next_offset;
  waiting_.erase(record.write.tx.id);
  --records_;
  ++replayed_since_empty_;
  if (replay_offset_ == end_ && queue_.empty() && !writing_) empty_file();
}

void FileJournal::empty_file() {
  // Under the lock, with the writer idle: nothing else touches the file now.
  if (::ftruncate(fd_, 0) != 0 || ::fdatasync(fd_) != 0) {
    // Harmless: the records stay and are replayed (as no-ops) after a restart.
    spdlog::warn("journal {}: cannot empty the replayed journal: {}", options_.path,
                 std::strerror(errno));
    return;
  }
  spdlog::info("journal {}: all {} journaled writes are in the buffer; writes go to it directly",
               options_.path, replayed_since_empty_);
  end_ = 0;
  replay_offset_ = 0;
  replayed_since_empty_ = 0;
  records_ = 0;
  waiting_.clear();
}

bool FileJournal::wait_for_record(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return wake_replay_.wait_for(lock, limit,
                               [this] { return interrupted_ || replay_offset_ < end_; }) &&
         !interrupted_;
}

void FileJournal::interrupt() {
  {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
  }
  wake_replay_.notify_all();
}

void FileJournal::resume() {
  std::lock_guard lock(mutex_);
  interrupted_ = stopping_;
}

JournalStats FileJournal::stats() const {
  std::lock_guard lock(mutex_);
  return {records_, end_, options_.max_bytes};
}

}  // namespace opsdb
