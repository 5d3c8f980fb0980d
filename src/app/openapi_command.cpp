#include "opsdb/app/openapi_command.hpp"

#include "opsdb/api/openapi.hpp"
#include "opsdb/api/routes.hpp"
#include "opsdb/core/version.hpp"
#include "opsdb/metrics/prometheus_metrics.hpp"
#include "opsdb/status/database_probe.hpp"
#include "opsdb/tx/reference_ids.hpp"

namespace opsdb {
namespace {

// Every port answers "unavailable": the table is only read, never dispatched to.
Error offline() {
  return Error{Fault::unavailable, "the route table is built offline", ""};
}

class OfflineReads final : public ReadStore {
 public:
  void observation(const std::string&, Callback<std::optional<Record>> done) override {
    done(offline());
  }
  void observations(const ObservationFilter&, Callback<std::vector<Record>> done) override {
    done(offline());
  }
  void observations_among(const std::vector<std::string>&, const ObservationFilter&,
                          Callback<std::vector<Record>> done) override {
    done(offline());
  }
  void rows(const std::string&, const std::vector<std::string>&,
            Callback<std::vector<Record>> done) override {
    done(offline());
  }
  void raw_data_file(const std::string&, Callback<std::optional<Record>> done) override {
    done(offline());
  }
  void raw_data_package(const std::string&, Callback<std::optional<Record>> done) override {
    done(offline());
  }
};

class OfflineSite final : public ReferenceIds,
                          public DatabaseProbe,
                          public BufferInspector,
                          public DeadLetters,
                          public WriteSink,
                          public auth::TokenRegistry {
 public:
  void all(const std::set<std::string>&, Callback<IdsByTable> done) override { done(offline()); }
  void exists(const std::string&, long long, Callback<bool> done) override { done(offline()); }
  void probe(Callback<void> done) override { done(offline()); }
  void stats(Callback<BufferStats> done) override { done(offline()); }
  void status(const std::string&, Callback<TransactionStatus> done) override { done(offline()); }
  void list(std::size_t, Callback<std::vector<FailedTransaction>> done) override {
    done(offline());
  }
  void replay(const std::string&, Callback<void> done) override { done(offline()); }
  void resolve(const std::string&, const std::string&, Callback<void> done) override {
    done(offline());
  }
  void submit(BuiltWrite, std::function<void(WriteResult)> done) override {
    done(WriteResult{ApiError(ErrorKind::unavailable, offline().message), {}});
  }
  void create(auth::TokenRow, Callback<auth::TokenInfo> done) override { done(offline()); }
  void list(std::optional<std::string>, Callback<std::vector<auth::TokenInfo>> done) override {
    done(offline());
  }
  void revoke(std::string, std::optional<std::string>, Callback<auth::TokenInfo> done) override {
    done(offline());
  }
  void record_use(std::vector<std::string>, Callback<void> done) override { done(offline()); }
};

class OfflineCatalogs final : public SourceCatalog, public ProgramCatalog, public TransferCatalog {
 public:
  void sources(const SourceFilter&, Callback<std::vector<SourceCatalog::Record>> done) override {
    done(offline());
  }
  void source(long long, bool, Callback<std::optional<SourceCatalog::Record>> done) override {
    done(offline());
  }
  void resolve(const std::string&, Callback<std::optional<SourceCatalog::Record>> done) override {
    done(offline());
  }
  void programs(std::optional<int>, int,
                Callback<std::vector<ProgramCatalog::Record>> done) override {
    done(offline());
  }
  void program(int, Callback<std::optional<ProgramCatalog::Record>> done) override {
    done(offline());
  }
  void create(ProgramFields, Callback<ProgramCatalog::Record> done) override { done(offline()); }
  void update(int, ProgramFields, Callback<ProgramCatalog::Record> done) override {
    done(offline());
  }
  void packages(const PackageFilter&,
                Callback<std::vector<TransferCatalog::Record>> done) override {
    done(offline());
  }
  void packages_among(const std::vector<std::string>&,
                      Callback<std::vector<TransferCatalog::Record>> done) override {
    done(offline());
  }
  void totals(Callback<TransferCatalog::Record> done) override { done(offline()); }
  void reset_transfer(long long, const std::string&,
                      Callback<TransferCatalog::Record> done) override {
    done(offline());
  }
};

// Nothing scheduled here ever runs: no route of this table serves a request.
class IdleScheduler final : public Scheduler {
 public:
  void after(std::chrono::milliseconds, std::function<void()>) override {}
};

}  // namespace

std::vector<http::Route> route_contracts(const Config& config, SiteType site) {
  // The same services as serve() wires, with the same optional parts set, so that make_router
  // adds the same routes.
  SystemClock clock;
  TransactionBuilder builder(config.site_name, clock);
  OfflineSite offline_site;
  OfflineReads reads;
  OfflineCatalogs catalogs;
  SmartQuery smart_query(reads, nullptr);
  ReferenceCheck references(offline_site);
  TransferView transfers(catalogs, reads, nullptr);
  VisibilityService visibility(
      ObservingSite{config.telescope_latitude_deg, config.telescope_longitude_deg,
                    config.telescope_altitude_m},
      catalogs, [](std::function<void()>, std::function<void()>) { return false; }, {}, clock);
  SiteMonitor monitor(SiteSources{offline_site}, AlertOptions{}, clock);
  PrometheusMetrics metrics({std::string(version()), config.site_name, to_string(site), {}});
  ApiServices services{config, builder, offline_site, smart_query, monitor, references, metrics};
  services.tokens = &offline_site;
  services.clock = &clock;
  services.sources = &catalogs;
  services.programs = &catalogs;
  services.transfers = &transfers;
  services.visibility = &visibility;
  EventHub events(nullptr, 0);
  IdleScheduler idle;
  DocumentBroadcast overview([](Callback<DocumentBroadcast::Document>) {}, idle, clock, {});
  services.events = &events;
  services.overview = &overview;
  if (site == SiteType::secondary) {
    services.buffer = &offline_site;
    services.dead_letters = &offline_site;
    services.processor = [] { return ProcessorSnapshot{}; };
  }
  // The handlers refer to the services above: only the contracts leave this function.
  std::vector<http::Route> routes = make_router(services)->routes();
  for (auto& route : routes) route.handler = nullptr;
  return routes;
}

nlohmann::json openapi_for_site(const Config& config, SiteType site) {
  return openapi_document(route_contracts(config, site), site, version());
}

}  // namespace opsdb
