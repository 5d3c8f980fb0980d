#include "opsdb/status/site_monitor.hpp"

#include "opsdb/core/log_fields.hpp"

namespace opsdb {
namespace {

void log_alert(const AlertEvent& event) {
  nlohmann::json fields = {{"alert", event.alert},
                           {"alert_state", event.firing ? "firing" : "cleared"},
                           {"severity", event.critical ? "critical" : "warning"}};
  if (event.value) fields["value"] = *event.value;
  if (event.threshold) fields["threshold"] = *event.threshold;
  const auto level = event.critical && event.firing ? LogLevel::error : LogLevel::warn;
  log_with_fields(
      level, fields,
      "alert " + event.alert + (event.firing ? " firing: " : " cleared: ") + event.message);
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

SiteMonitor::SiteMonitor(SiteSources sources, AlertOptions alerts, const Clock& clock)
    : sources_(std::move(sources)), thresholds_(alerts.thresholds), clock_(clock), alerts_(alerts) {
  report_.site.secondary = sources_.buffer != nullptr;
}

void SiteMonitor::sample() {
  if (!probing_.exchange(true)) {
    sources_.local_db.probe([this](Status result) {
      std::lock_guard lock(mutex_);
      local_db_.state =
          result.ok() ? DatabaseStatus::State::reachable : DatabaseStatus::State::unreachable;
      local_db_.last_error = result.ok() ? "" : first_line(result.error().message);
      local_db_.last_check = clock_.now();
      probing_ = false;
      refresh();
    });
  }
  if (sources_.buffer && !asking_buffer_.exchange(true)) {
    sources_.buffer->stats([this](Result<BufferStats> stats) {
      std::lock_guard lock(mutex_);
      redis_ = stats.ok() ? DatabaseStatus::State::reachable : DatabaseStatus::State::unreachable;
      buffer_ = stats.ok() ? std::optional<BufferStats>(std::move(*stats)) : std::nullopt;
      asking_buffer_ = false;
      refresh();
    });
  }
  std::lock_guard lock(mutex_);
  refresh();
}

void SiteMonitor::refresh() {
  const auto now = clock_.now();
  SiteSnapshot site;
  site.secondary = sources_.buffer != nullptr;
  site.local_db = local_db_;
  if (site.secondary) {
    site.redis = redis_;
    site.buffer = buffer_;
    if (sources_.processor) site.processor = sources_.processor();
    if (sources_.replication) site.replication = sources_.replication();
    if (sources_.journal) site.journal = sources_.journal();
    if (site.processor && site.replication) {
      site.lag = replication_lag(*site.processor, *site.replication, now);
    }
  }
  for (const auto& event : alerts_.observe(site, now)) log_alert(event);
  report_.verdict = assess_health(site, thresholds_);
  report_.site = std::move(site);
  report_.sampled_at = now;
  report_.alerts = alerts_.firing();
}

SiteReport SiteMonitor::report() const {
  std::lock_guard lock(mutex_);
  return report_;
}

}  // namespace opsdb
