// The bytes of a journal file as a crash or a power cut may leave them: opening it never
// crashes, keeps only whole intact records (each a valid transaction), and leaves a file that
// opens again with the same records.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <spdlog/spdlog.h>

#include "opsdb/buffer/file_journal.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opsdb;
  static const std::filesystem::path dir = [] {
    spdlog::set_level(spdlog::level::off);  // every damaged input would log an error
    const char* tmp = std::getenv("TMPDIR");
    auto d = std::filesystem::path(tmp ? tmp : "/tmp") / ("journal-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const std::string path = (dir / "journal").string();
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::size_t kept = 0;
  {
    FileJournal journal(JournalOptions{path, 1u << 30});
    kept = journal.stats().pending;
    fuzz::require(journal.stats().bytes <= size, "the journal grew while opening", "");
  }
  FileJournal again(JournalOptions{path, 1u << 30});
  fuzz::require(again.stats().pending == kept, "a reopened journal lost or gained records", "");
  std::size_t read = 0;
  while (auto record = again.next()) {
    again.replayed(*record);
    ++read;
  }
  fuzz::require(read == kept, "the replay read another number of records than were kept", "");
  // The file, and what the open moved aside.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) std::filesystem::remove(entry);
  return 0;
}
