#include "opsdb/core/timestamp.hpp"

#include <cstdio>

namespace opsdb {
namespace {

constexpr std::chrono::sys_days kEarliest{std::chrono::year{1900} / 1 / 1};
constexpr std::chrono::sys_days kLatest{std::chrono::year{2200} / 1 / 1};

bool digits(std::string_view s, size_t pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  out = value;
  return true;
}

}  // namespace

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto micros = time_point_cast<microseconds>(t);
  auto day = floor<days>(micros);
  year_month_day ymd{day};
  hh_mm_ss hms{micros - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lld.%06lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                long(hms.minutes().count()), static_cast<long long>(hms.seconds().count()),
                static_cast<long long>(hms.subseconds().count()));
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  size_t pos = 19;
  long long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int count = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (count < 6) micros = micros * 10 + (s[pos] - '0');
      ++count;
      ++pos;
    }
    if (count == 0) return std::nullopt;
    for (int i = count; i < 6; ++i) micros *= 10;
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
    pos += 3;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (pos < s.size()) {
      if (!digits(s, pos, 2, om)) return std::nullopt;
      pos += 2;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;  // a timestamp without a zone is ambiguous: refuse it
  }
  if (pos != s.size()) return std::nullopt;
  auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micros} -
           minutes{offset_minutes};
  // The clock counts nanoseconds in 64 bits (years 1677 to 2262): a time outside that range
  // would overflow, silently becoming another time.
  if (t < kEarliest || t >= kLatest) return std::nullopt;
  return time_point_cast<system_clock::duration>(t);
}

std::optional<std::string> canonical_timestamp(std::string_view text) {
  auto t = parse_timestamp(text);
  if (!t) return std::nullopt;
  return format_timestamp(*t);
}

std::optional<std::int64_t> epoch_microseconds(std::string_view text) {
  auto t = parse_timestamp(text);
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
}

}  // namespace opsdb
