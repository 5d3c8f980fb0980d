#pragma once

// The route table of a secondary site over ports that answer at once from memory: every
// handler runs to its answer inside `dispatch`, so a test or a fuzz target sees every response.
// Header-only and free of GoogleTest, so the fuzz targets (fuzz/) use it as well.

#include <memory>
#include <optional>
#include <string>

#include "credentials.hpp"
#include "opsdb/api/routes.hpp"
#include "opsdb/auth/credential_verifier.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/metrics/prometheus_metrics.hpp"
#include "opsdb/status/site_monitor.hpp"
#include "step_scheduler.hpp"

namespace opsdb::test {

class EmptyReads final : public ReadStore {
 public:
  void observation(const std::string&, Callback<std::optional<Record>> done) override {
    done(std::optional<Record>{});
  }
  void observations(const ObservationFilter&, Callback<std::vector<Record>> done) override {
    done(std::vector<Record>{});
  }
  void observations_among(const std::vector<std::string>&, const ObservationFilter&,
                          Callback<std::vector<Record>> done) override {
    done(std::vector<Record>{});
  }
  void rows(const std::string&, const std::vector<std::string>&,
            Callback<std::vector<Record>> done) override {
    done(std::vector<Record>{});
  }
  void raw_data_file(const std::string&, Callback<std::optional<Record>> done) override {
    done(std::optional<Record>{});
  }
  void raw_data_package(const std::string&, Callback<std::optional<Record>> done) override {
    done(std::optional<Record>{});
  }
};

// A buffer holding no records: reads take the whole merge path and find nothing there.
class EmptyBufferedRecords final : public BufferedRecords {
 public:
  void records(std::vector<RecordRef> refs, Callback<std::vector<BufferedRecord>> done) override {
    done(std::vector<BufferedRecord>(refs.size()));
  }
  void indexes(std::vector<IndexRange> ranges,
               Callback<std::vector<std::vector<IndexEntry>>> done) override {
    done(std::vector<std::vector<IndexEntry>>(ranges.size()));
  }
};

// Every reference exists, so a valid write reaches the sink.
class AllIdsExist final : public ReferenceIds {
 public:
  void all(const std::set<std::string>&, Callback<IdsByTable> done) override { done(IdsByTable{}); }
  void exists(const std::string&, long long, Callback<bool> done) override { done(true); }
};

class ReachableProbe final : public DatabaseProbe {
 public:
  void probe(Callback<void> done) override { done(Result<void>{}); }
};

class EmptyBuffer final : public BufferInspector, public DeadLetters {
 public:
  void stats(Callback<BufferStats> done) override { done(BufferStats{}); }
  void status(const std::string&, Callback<TransactionStatus> done) override {
    done(Error{Fault::not_found, "no such transaction", ""});
  }
  void list(std::size_t, Callback<std::vector<FailedTransaction>> done) override {
    done(std::vector<FailedTransaction>{});
  }
  void replay(const std::string&, Callback<void> done) override {
    done(Error{Fault::not_found, "not in the queue", ""});
  }
  void resolve(const std::string&, const std::string&, Callback<void> done) override {
    done(Error{Fault::not_found, "not in the queue", ""});
  }
};

class EmptyCatalogs final : public SourceCatalog, public ProgramCatalog, public TransferCatalog {
 public:
  void sources(const SourceFilter&, Callback<std::vector<SourceCatalog::Record>> done) override {
    done(std::vector<SourceCatalog::Record>{});
  }
  void source(long long, bool, Callback<std::optional<SourceCatalog::Record>> done) override {
    done(std::optional<SourceCatalog::Record>{});
  }
  void resolve(const std::string&, Callback<std::optional<SourceCatalog::Record>> done) override {
    done(std::optional<SourceCatalog::Record>{});
  }
  void programs(std::optional<int>, int,
                Callback<std::vector<ProgramCatalog::Record>> done) override {
    done(std::vector<ProgramCatalog::Record>{});
  }
  void program(int, Callback<std::optional<ProgramCatalog::Record>> done) override {
    done(std::optional<ProgramCatalog::Record>{});
  }
  void create(ProgramFields fields, Callback<ProgramCatalog::Record> done) override {
    done(ProgramCatalog::Record{{"id", 1}, {"name", *fields.name}});
  }
  void update(int, ProgramFields, Callback<ProgramCatalog::Record> done) override {
    done(Error{Fault::not_found, "no such program", ""});
  }
  void packages(const PackageFilter&,
                Callback<std::vector<TransferCatalog::Record>> done) override {
    done(std::vector<TransferCatalog::Record>{});
  }
  void packages_among(const std::vector<std::string>&,
                      Callback<std::vector<TransferCatalog::Record>> done) override {
    done(std::vector<TransferCatalog::Record>{});
  }
  void totals(Callback<TransferCatalog::Record> done) override {
    done(TransferCatalog::Record::object());
  }
  void reset_transfer(long long, const std::string&,
                      Callback<TransferCatalog::Record> done) override {
    done(Error{Fault::not_found, "no such data transfer", ""});
  }
};

// Runs a computation and its continuation at once, on the caller's thread: the handler answers
// inside `dispatch`.
inline Offload inline_offload() {
  return [](std::function<void()> work, std::function<void()> after) {
    work();
    after();
    return true;
  };
}

// The telescope's site, as the configuration gives it by default.
inline ObservingSite default_site() {
  const Config config;
  return {config.telescope_latitude_deg, config.telescope_longitude_deg,
          config.telescope_altitude_m};
}

// Keeps the last write and accepts it.
class CapturingSink final : public WriteSink {
 public:
  std::optional<BuiltWrite> last;
  void submit(BuiltWrite write, std::function<void(WriteResult)> done) override {
    last = std::move(write);
    done(WriteResult{std::nullopt, "buffered"});
  }
};

/// The ports every route group needs, answering from memory, and the services over them with
/// nothing optional set: the base of tests that build routes themselves.
struct SiteFakes {
  Config config;
  ManualClock clock;
  TransactionBuilder builder{"observatory", clock};
  CapturingSink sink;
  EmptyReads store;
  SmartQuery reads{store, nullptr};
  AllIdsExist ids;
  ReferenceCheck references{ids};
  ReachableProbe probe;
  SiteMonitor monitor{SiteSources{probe}, AlertOptions{}, clock};
  PrometheusMetrics metrics{{"test", "observatory", "secondary", {}}};

  ApiServices services() {
    return ApiServices{config, builder, sink, reads, monitor, references, metrics};
  }
};

class ApiHarness {
 public:
  explicit ApiHarness(BodyLimits limits = {}) : builder_("observatory", clock_, limits) {
    services_ = std::make_unique<ApiServices>(
        ApiServices{config_, builder_, sink_, query_, monitor_, references_, metrics_});
    services_->buffer = &buffer_;
    services_->dead_letters = &buffer_;
    services_->processor = running_drain;
    services_->authenticator = verifier_;
    services_->tokens = &tokens_;
    services_->clock = &clock_;
    services_->sources = &catalogs_;
    services_->programs = &catalogs_;
    services_->transfers = &transfers_;
    services_->visibility = &visibility_;
    services_->events = &events_;
    services_->overview = &overview_;
    monitor_.sample();
    router_ = make_router(*services_);
  }

  /// Dispatches `request`, as an administrator unless it carries credentials of its own; the
  /// response, or nullopt when the handler did not answer. Forgets the previous write.
  std::optional<http::Response> dispatch(http::Request request) {
    sink_.last.reset();
    request.headers.try_emplace("authorization", "Bearer " + admin_token_);
    std::optional<http::Response> answer;
    router_->dispatch(std::move(request), http::RequestContext{"harness", "192.0.2.1"},
                      [&answer](http::Response r) { answer = std::move(r); });
    return answer;
  }

  /// The credentials the harness knows: issue tokens into them.
  InMemoryCredentials& credentials() { return credentials_; }

  /// The write the last request handed to the sink, if any.
  const std::optional<BuiltWrite>& last_write() const { return sink_.last; }

  /// The clock the harness's verifier reads: advance it past the cache TTL to have credentials
  /// read again.
  ManualClock& clock() { return clock_; }

 private:
  Config config_;
  ManualClock clock_;
  TransactionBuilder builder_;
  CapturingSink sink_;
  EmptyReads reads_;
  EmptyBufferedRecords buffered_;
  SmartQuery query_{reads_, &buffered_};
  AllIdsExist ids_;
  ReferenceCheck references_{ids_};
  // A running drain, so that /health answers 200: its 503 is about the site, not the request.
  static ProcessorSnapshot running_drain() {
    ProcessorSnapshot drain;
    drain.state = DrainState::idle;
    drain.running = true;
    return drain;
  }

  InMemoryCredentials credentials_;
  InMemoryTokenRegistry tokens_{credentials_};
  EmptyCatalogs catalogs_;
  TransferView transfers_{catalogs_, reads_, &buffered_};
  VisibilityService visibility_{default_site(), catalogs_, inline_offload(), {}, clock_};
  std::string admin_token_ = credentials_.add_token("harness", {Role::admin});
  std::shared_ptr<auth::CredentialVerifier> verifier_ =
      std::make_shared<auth::CredentialVerifier>(credentials_, clock_, auth::VerifierOptions{});
  ReachableProbe probe_;
  EmptyBuffer buffer_;
  SiteMonitor monitor_{SiteSources{probe_, &buffer_, running_drain}, AlertOptions{}, clock_};
  PrometheusMetrics metrics_{{"test", "observatory", "secondary", {}}};
  EventHub events_{nullptr, 16};
  StepScheduler scheduler_{clock_};
  DocumentBroadcast overview_{[](Callback<DocumentBroadcast::Document>) {}, scheduler_, clock_, {}};
  std::unique_ptr<ApiServices> services_;
  std::shared_ptr<http::Router> router_;
};

}  // namespace opsdb::test
