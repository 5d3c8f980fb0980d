#include "opsdb/status/alerts.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace opsdb {

// What one alert's condition looks like in one snapshot, and what to say when it changes.
struct AlertMonitor::Reading {
  const char* name;
  Condition condition;
  bool critical;
  std::string when_firing;
  std::string when_cleared;
  std::optional<double> value{};
  std::optional<double> threshold{};
};

namespace {

using Condition = AlertMonitor::Condition;

// Above the threshold holds; at or below `ratio` of it is gone; between the two nothing changes.
Condition above(double value, double threshold, double ratio) {
  if (value > threshold) return Condition::holds;
  if (value <= threshold * ratio) return Condition::gone;
  return Condition::unchanged;
}

// A yes/no condition; unknown changes nothing.
Condition when(std::optional<bool> holds) {
  if (!holds) return Condition::unchanged;
  return *holds ? Condition::holds : Condition::gone;
}

std::optional<bool> unreachable(DatabaseStatus::State state) {
  if (state == DatabaseStatus::State::unknown) return std::nullopt;
  return state == DatabaseStatus::State::unreachable;
}

std::string whole(double value) {
  return std::to_string(static_cast<long long>(std::llround(value)));
}

}  // namespace

std::vector<AlertEvent> AlertMonitor::observe(const SiteSnapshot& site,
                                              std::chrono::system_clock::time_point now) {
  const auto& t = options_.thresholds;
  std::vector<Reading> readings;
  const auto local_db = unreachable(site.local_db.state);
  if (!site.secondary) {
    // At the main site the local database is the main database.
    readings.push_back(
        {"main_database_unreachable", when(local_db), true,
         "main database unreachable: writes are refused with 503: " + site.local_db.last_error,
         "main database reachable again"});
  } else {
    readings.push_back({"local_database_unreachable", when(local_db), true,
                        "local database unreachable: reads and the reference checks of writes "
                        "fail: " +
                            site.local_db.last_error,
                        "local database reachable again"});
    if (site.redis != DatabaseStatus::State::unknown) {
      readings.push_back({"redis_unreachable", when(unreachable(site.redis)), true,
                          "Redis unreachable: writes at this site are refused and nothing drains",
                          "Redis reachable again"});
    }
    const auto reachable = main_database_reachable(site);
    const std::string why = site.processor ? site.processor->last_error : std::string{};
    readings.push_back(
        {"main_database_unreachable",
         when(reachable ? std::optional<bool>(!*reachable) : std::nullopt), false,
         "main database unreachable: writes are buffered here until it is back: " + why,
         "main database reachable again: the buffer drains"});
    if (site.processor) {
      const bool stopped = !site.processor->running || site.processor->state == DrainState::stalled;
      readings.push_back({"processor_stopped", when(stopped), true,
                          std::string("background processor ") +
                              (site.processor->running ? "stalled" : "stopped") +
                              ": buffered writes are not drained",
                          "background processor running again"});
    }
    if (site.buffer) {
      const auto pending = static_cast<double>(site.buffer->pending);
      const auto limit = static_cast<double>(t.buffer_size);
      readings.push_back(
          {"buffer_size", above(pending, limit, options_.clear_ratio), false,
           whole(pending) + " transactions buffered, above ALERT_BUFFER_SIZE " + whole(limit) +
               ": the drain is not keeping up",
           whole(pending) + " transactions buffered, back below ALERT_BUFFER_SIZE " + whole(limit),
           pending, limit});
      if (const auto& memory = site.buffer->memory; memory && memory->max_bytes > 0) {
        const auto used = static_cast<double>(memory->used_bytes);
        const auto limit = static_cast<double>(memory->max_bytes) * kRedisMemoryAlertRatio;
        readings.push_back(
            {"redis_memory", above(used, limit, options_.clear_ratio), false,
             "Redis uses " + describe(*memory) + ", above " + whole(kRedisMemoryAlertRatio * 100) +
                 " %: at the limit every write at this site is refused with 503 buffer_full; "
                 "get the buffer drained (is the main database reachable?) or raise maxmemory",
             "Redis memory back to " + describe(*memory), used, limit});
      }
      const auto failed = static_cast<double>(site.buffer->failed);
      readings.push_back({"failed_transactions", above(failed, 0, 0), true,
                          whole(failed) + " failed transaction(s) in the dead-letter queue await "
                                          "an operator: GET /admin/failed-transactions",
                          "the dead-letter queue is empty again", failed, 0.0});
    }
    if (site.lag) {
      const double lag = site.lag->seconds;
      const auto limit = static_cast<double>(t.replication_lag.count());
      const std::string bytes = site.lag->bytes ? std::to_string(*site.lag->bytes) : "unknown";
      readings.push_back({"replication_lag", above(lag, limit, options_.clear_ratio), false,
                          "the local replica is " + whole(lag) + " s (" + bytes +
                              " bytes) behind the writes applied on the main database, above "
                              "ALERT_REPLICATION_LAG " +
                              whole(limit) + " s",
                          "replication lag back to " + whole(lag) + " s", lag, limit});
    }
  }

  std::vector<AlertEvent> events;
  for (const auto& reading : readings) {
    if (auto event = step(reading, now)) events.push_back(std::move(*event));
  }
  return events;
}

std::optional<AlertEvent> AlertMonitor::step(const Reading& reading,
                                             std::chrono::system_clock::time_point now) {
  auto it = std::find_if(states_.begin(), states_.end(),
                         [&](const auto& entry) { return entry.first == reading.name; });
  if (it == states_.end()) it = states_.insert(states_.end(), {reading.name, State{}});
  State& state = it->second;
  const bool changing = (reading.condition == Condition::holds && !state.firing) ||
                        (reading.condition == Condition::gone && state.firing);
  if (!changing) {
    state.changing_since.reset();
    return std::nullopt;
  }
  if (!state.changing_since) state.changing_since = now;
  if (now - *state.changing_since < options_.hold) return std::nullopt;
  state.firing = !state.firing;
  state.changing_since.reset();
  return AlertEvent{reading.name,     state.firing,
                    reading.critical, state.firing ? reading.when_firing : reading.when_cleared,
                    reading.value,    reading.threshold};
}

std::vector<std::string> AlertMonitor::firing() const {
  std::vector<std::string> names;
  for (const auto& [name, state] : states_) {
    if (state.firing) names.push_back(name);
  }
  return names;
}

}  // namespace opsdb
