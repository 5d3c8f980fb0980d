#include "opsdb/astro/visibility_service.hpp"

#include <cmath>
#include <mutex>

namespace opsdb {
namespace {

using namespace std::chrono;

Error busy_error() {
  return Error{Fault::unavailable,
               "too many visibility computations are waiting; try again in a moment",
               kVisibilityBusy};
}

std::string id_list(const std::vector<long long>& ids) {
  std::string text;
  for (const auto id : ids) text += (text.empty() ? "" : ", ") + std::to_string(id);
  return text;
}

// Runs `work` on a computing thread and hands its outcome to `done` where handlers run; the
// busy error when the queue is full. `work` returns the value or throws.
template <typename T>
void run_offloaded(const Offload& offload, std::function<T()> work, Callback<T> done) {
  struct Outcome {
    std::optional<T> value;
    Error error{Fault::internal, "the visibility computation failed", ""};
  };
  auto outcome = std::make_shared<Outcome>();
  auto shared_done = std::make_shared<Callback<T>>(std::move(done));
  const bool queued = offload(
      [outcome, work = std::move(work)] {
        try {
          outcome->value = work();
        } catch (const std::exception& e) {
          outcome->error.message += std::string(": ") + e.what();
        }
      },
      [outcome, shared_done] {
        if (!outcome->value) return (*shared_done)(std::move(outcome->error));
        (*shared_done)(std::move(*outcome->value));
      });
  if (!queued) (*shared_done)(busy_error());
}

}  // namespace

std::optional<SkyPosition> fixed_position(const SourceCatalog::Record& source) {
  if (!source.is_object() || source.value("type", std::string()) != "fixed_source")
    return std::nullopt;
  const auto ra = source.find("ra_deg");
  const auto dec = source.find("dec_deg");
  if (ra == source.end() || dec == source.end() || !ra->is_number() || !dec->is_number())
    return std::nullopt;
  const SkyPosition position{ra->get<double>(), dec->get<double>()};
  if (!std::isfinite(position.ra_deg) || !std::isfinite(position.dec_deg) ||
      std::abs(position.dec_deg) > 90) {
    return std::nullopt;
  }
  return position;
}

struct VisibilityService::Lookup {
  std::mutex mutex;
  NightsRequest request;
  std::vector<std::optional<SourceCatalog::Record>> records;
  std::size_t remaining = 0;
  std::optional<Error> failure;
};

VisibilityService::VisibilityService(ObservingSite site, SourceCatalog& sources, Offload offload,
                                     VisibilityCache::Options cache, const Clock& clock)
    : site_(site),
      sources_(sources),
      offload_(std::move(offload)),
      clock_(clock),
      cache_(cache, clock) {}

year_month_day VisibilityService::tonight() const {
  const auto now = clock_.now();
  const auto offset =
      duration_cast<system_clock::duration>(duration<double>(site_.lon_deg / 15.0 * 3600.0));
  // As night_visibility places a night: local mean noon, truncated to the minute.
  const auto start = [&offset](sys_days date) { return floor<minutes>(date + hours(12) - offset); };
  auto date = floor<days>(now - hours(12) + offset);
  if (now < start(date)) {
    date -= days(1);
  } else if (now >= start(date + days(1))) {
    date += days(1);
  }
  return year_month_day{date};
}

std::shared_ptr<const NightVisibility> VisibilityService::compute(SkyPosition source,
                                                                  year_month_day date, int step,
                                                                  bool* was_cached) {
  const NightKey key{source, sys_days{date}, step};
  if (was_cached != nullptr) {
    if (auto kept = cache_.find(key)) {
      *was_cached = true;
      return kept;
    }
    *was_cached = false;
  }
  auto night = std::make_shared<const NightVisibility>(night_visibility(site_, source, date, step));
  cache_.insert(key, night);
  return night;
}

void VisibilityService::night(long long id, std::optional<year_month_day> date, int step_minutes,
                              Callback<SourceNight> done) {
  const auto day = date.value_or(tonight());
  sources_.source(
      id, false,
      [this, id, day, step_minutes,
       done = std::move(done)](Result<std::optional<SourceCatalog::Record>> found) mutable {
        if (!found.ok()) return done(found.error());
        if (!*found) {
          return done(Error{Fault::not_found, "source " + std::to_string(id) + " does not exist",
                            kUnknownSources});
        }
        SourceNight answer{std::move(**found), day, step_minutes, nullptr, false};
        const auto position = fixed_position(answer.source);
        if (!position) return done(std::move(answer));
        // A cached night is answered here at once; only a miss goes to the computing threads.
        if (auto kept = cache_.find(NightKey{*position, sys_days{day}, step_minutes})) {
          answer.night = std::move(kept);
          answer.cached = true;
          return done(std::move(answer));
        }
        auto shared = std::make_shared<SourceNight>(std::move(answer));
        run_offloaded<SourceNight>(
            offload_,
            [this, shared, position = *position] {
              shared->night = compute(position, shared->date, shared->step_minutes, nullptr);
              return std::move(*shared);
            },
            std::move(done));
      });
}

void VisibilityService::nights(NightsRequest request, Render render, Callback<std::string> done) {
  auto lookup = std::make_shared<Lookup>();
  const auto count = request.source_ids.size();
  lookup->request = std::move(request);
  lookup->records.resize(count);
  lookup->remaining = count;
  if (count == 0) return finish_nights(lookup, std::move(render), std::move(done));
  auto shared_done = std::make_shared<Callback<std::string>>(std::move(done));
  const auto ids = lookup->request.source_ids;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    sources_.source(
        ids[i], false,
        [this, lookup, i, render, shared_done](Result<std::optional<SourceCatalog::Record>> found) {
          bool last = false;
          {
            std::lock_guard lock(lookup->mutex);
            if (!found.ok()) {
              if (!lookup->failure) lookup->failure = found.error();
            } else {
              lookup->records[i] = std::move(*found);
            }
            last = --lookup->remaining == 0;
          }
          if (last) finish_nights(lookup, render, *shared_done);
        });
  }
}

void VisibilityService::finish_nights(const std::shared_ptr<Lookup>& lookup, Render render,
                                      Callback<std::string> done) {
  if (lookup->failure) return done(*lookup->failure);
  auto grid = std::make_shared<NightGrid>();
  grid->request = lookup->request;
  std::vector<long long> missing, not_fixed;
  std::vector<SkyPosition> positions;
  for (std::size_t i = 0; i < lookup->records.size(); ++i) {
    const auto id = grid->request.source_ids[i];
    if (!lookup->records[i]) {
      missing.push_back(id);
      continue;
    }
    const auto position = fixed_position(*lookup->records[i]);
    if (!position) not_fixed.push_back(id);
    positions.push_back(position.value_or(SkyPosition{}));
    grid->sources.push_back(std::move(*lookup->records[i]));
  }
  if (!missing.empty()) {
    return done(
        Error{Fault::not_found, "no source has the id " + id_list(missing), kUnknownSources});
  }
  if (!not_fixed.empty()) {
    return done(Error{Fault::rejected,
                      "not fixed sources (their positions need an ephemeris or are constant): " +
                          id_list(not_fixed),
                      kNotFixedSources});
  }
  run_offloaded<std::string>(
      offload_,
      [this, grid, positions = std::move(positions), render = std::move(render)] {
        const auto& r = grid->request;
        for (const auto& position : positions) {
          auto& row = grid->nights.emplace_back();
          for (int d = 0; d < r.days; ++d) {
            const year_month_day date{sys_days{r.start} + days(d)};
            bool was_cached = false;
            row.push_back(compute(position, date, r.step_minutes, &was_cached));
            ++(was_cached ? grid->already_cached : grid->computed);
          }
        }
        return render(*grid);
      },
      std::move(done));
}

}  // namespace opsdb
