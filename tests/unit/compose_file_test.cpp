#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "opsdb/config/config.hpp"
#include "support/stack.hpp"

// docker/compose.yaml and docker/Dockerfile checked against the code, since no test here can
// run them: every setting the API services get is one the server reads, each site's API points
// at its own databases, the replica clones through a slot the primary makes, data and state are
// on named volumes, and every long-running service has a health check.
namespace opsdb {
namespace {

// Service names the deployment documentation refers to.
const char* const kPrimary = "main-db";
const char* const kReplica = "observatory-db";
const char* const kRedis = "observatory-redis";
const char* const kMigrate = "migrate";
const char* const kMainApi = "main-api";
const char* const kObservatoryApi = "observatory-api";

std::string docker_dir() {
  return test::source_dir() + "/docker/";
}

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

using Fields = std::map<std::string, YAML::Node>;

// A mapping with its YAML merge keys (`<<: *anchor`) applied, as Compose reads it: yaml-cpp 0.7
// keeps `<<` as an ordinary key. Keys of the mapping itself win over merged ones.
Fields merged(const YAML::Node& node) {
  Fields fields;
  if (!node || !node.IsMap()) return fields;
  YAML::Node merge;
  for (const auto& entry : node) {
    const auto key = entry.first.as<std::string>();
    if (key == "<<") {
      merge = entry.second;
    } else {
      fields[key] = entry.second;
    }
  }
  std::vector<YAML::Node> sources;
  if (merge && merge.IsMap()) sources.push_back(merge);
  if (merge && merge.IsSequence()) {
    for (const auto& source : merge) sources.push_back(source);
  }
  for (const auto& source : sources) {
    for (auto& [key, value] : merged(source)) fields.emplace(key, value);
  }
  return fields;
}

std::string scalar(const Fields& fields, const std::string& key) {
  const auto it = fields.find(key);
  if (it == fields.end() || !it->second.IsScalar()) return "";
  return it->second.as<std::string>();
}

// The words of a command or entrypoint, given as a list or as one string.
std::string words(const Fields& fields, const std::string& key) {
  const auto it = fields.find(key);
  if (it == fields.end()) return "";
  if (it->second.IsScalar()) return it->second.as<std::string>();
  std::string text;
  for (const auto& word : it->second) text += word.as<std::string>() + " ";
  return text;
}

std::vector<std::string> strings(const Fields& fields, const std::string& key) {
  std::vector<std::string> out;
  const auto it = fields.find(key);
  if (it == fields.end()) return out;
  if (it->second.IsScalar()) return {it->second.as<std::string>()};
  for (const auto& item : it->second) out.push_back(item.as<std::string>());
  return out;
}

struct Mount {
  std::string source;
  std::string target;
  bool named() const {
    return !source.empty() && source[0] != '.' && source[0] != '/' && source[0] != '~';
  }
};

// Short ("source:target[:mode]") and long ({source, target}) volume syntax.
std::vector<Mount> mounts(const Fields& service) {
  std::vector<Mount> out;
  const auto it = service.find("volumes");
  if (it == service.end()) return out;
  for (const auto& volume : it->second) {
    if (volume.IsMap()) {
      out.push_back({volume["source"].as<std::string>(""), volume["target"].as<std::string>("")});
      continue;
    }
    const auto text = volume.as<std::string>();
    const auto colon = text.find(':');
    if (colon == std::string::npos) {
      out.push_back({"", text});
      continue;
    }
    const auto rest = text.substr(colon + 1);
    out.push_back({text.substr(0, colon), rest.substr(0, rest.find(':'))});
  }
  return out;
}

// The host file mounted at `target` in `service`, read as text.
std::string mounted_file(const Fields& service, const std::string& target) {
  for (const auto& mount : mounts(service)) {
    if (mount.target == target && !mount.named()) return read_text(docker_dir() + mount.source);
  }
  ADD_FAILURE() << "nothing mounted at " << target;
  return "";
}

class ComposeFileTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    compose_ = new YAML::Node(YAML::LoadFile(docker_dir() + "compose.yaml"));
  }
  static void TearDownTestSuite() {
    delete compose_;
    compose_ = nullptr;
  }

  static std::map<std::string, Fields> services() {
    std::map<std::string, Fields> out;
    for (const auto& entry : (*compose_)["services"]) {
      out[entry.first.as<std::string>()] = merged(entry.second);
    }
    return out;
  }

  static Fields service(const std::string& name) {
    const auto all = services();
    const auto it = all.find(name);
    EXPECT_NE(it, all.end()) << "compose.yaml has no service " << name;
    return it == all.end() ? Fields{} : it->second;
  }

  // The services running the API image: built from docker/Dockerfile's runtime stage.
  static std::map<std::string, Fields> api_services() {
    std::map<std::string, Fields> out;
    for (auto& [name, fields] : services()) {
      const auto build = merged(fields["build"]);
      if (scalar(build, "dockerfile") == "docker/Dockerfile" &&
          scalar(build, "target") == "runtime") {
        out[name] = fields;
      }
    }
    return out;
  }

  // What a service's process sees: its env_file(s), then its `environment:` over them.
  static std::map<std::string, std::string> environment(const Fields& service) {
    std::map<std::string, std::string> env;
    if (const auto it = service.find("env_file"); it != service.end()) {
      std::vector<YAML::Node> files;
      if (it->second.IsSequence()) {
        for (const auto& file : it->second) files.push_back(file);
      } else {
        files.push_back(it->second);
      }
      for (const auto& file : files) {
        const auto path = file.IsMap() ? file["path"].as<std::string>() : file.as<std::string>();
        for (auto& [key, value] : parse_dotenv(read_text(docker_dir() + path))) env[key] = value;
      }
    }
    const auto it = service.find("environment");
    if (it == service.end()) return env;
    if (it->second.IsMap()) {
      for (auto& [key, value] : merged(it->second)) {
        env[key] = value.IsNull() ? "" : value.as<std::string>();
      }
      return env;
    }
    for (const auto& item : it->second) {
      const auto text = item.as<std::string>();
      const auto eq = text.find('=');
      env[text.substr(0, eq)] = eq == std::string::npos ? "" : text.substr(eq + 1);
    }
    return env;
  }

  static YAML::Node* compose_;
};

YAML::Node* ComposeFileTest::compose_ = nullptr;

TEST_F(ComposeFileTest, ApiServicesSetOnlyKeysTheServerReads) {
  const auto keys = config_keys();
  const std::set<std::string> known(keys.begin(), keys.end());
  const auto apis = api_services();
  for (const char* name : {kMigrate, kMainApi, kObservatoryApi}) {
    EXPECT_TRUE(apis.count(name)) << name << " does not run the API image";
  }
  for (const auto& [name, fields] : apis) {
    for (const auto& [key, value] : environment(fields)) {
      EXPECT_TRUE(known.count(key))
          << name << " sets " << key << ", which the server does not read";
    }
  }
}

TEST_F(ComposeFileTest, ApiServicesSetEverySettingOfTheExample) {
  const auto example =
      parse_dotenv(read_text(test::source_dir() + "/config/ops-db-api.env.example"));
  ASSERT_GT(example.size(), 20U);
  for (const char* name : {kMainApi, kObservatoryApi}) {
    const auto env = environment(service(name));
    for (const auto& [key, value] : example) {
      EXPECT_TRUE(env.count(key)) << name << " leaves " << key << " to its default";
    }
  }
}

TEST_F(ComposeFileTest, EachSitePointsAtItsOwnDatabases) {
  const auto main = environment(service(kMainApi));
  EXPECT_EQ(main.at("SITE_TYPE"), "main");
  EXPECT_EQ(main.at("MAIN_DB_HOST"), kPrimary);
  EXPECT_EQ(main.at("LOCAL_DB_HOST"), kPrimary);

  const auto observatory = environment(service(kObservatoryApi));
  EXPECT_EQ(observatory.at("SITE_TYPE"), "secondary");
  EXPECT_EQ(observatory.at("MAIN_DB_HOST"), kPrimary);
  EXPECT_EQ(observatory.at("LOCAL_DB_HOST"), kReplica);
  EXPECT_EQ(observatory.at("REDIS_HOST"), kRedis);
  EXPECT_EQ(observatory.at("REDIS_SENTINELS"), "");
  EXPECT_NE(main.at("SITE_NAME"), observatory.at("SITE_NAME"));

  const auto migrate = service(kMigrate);
  EXPECT_EQ(environment(migrate).at("MAIN_DB_HOST"), kPrimary);
  EXPECT_EQ(words(migrate, "command"), "migrate ");
  EXPECT_EQ(scalar(migrate, "restart"), "no");
}

TEST_F(ComposeFileTest, ApisStartAfterTheMigrationAndTheirDatabases) {
  const std::map<std::string, std::vector<std::string>> needs{
      {kMainApi, {kPrimary}}, {kObservatoryApi, {kReplica, kRedis}}};
  for (const auto& [name, databases] : needs) {
    const auto depends = merged(service(name)["depends_on"]);
    ASSERT_TRUE(depends.count(kMigrate)) << name;
    EXPECT_EQ(scalar(merged(depends.at(kMigrate)), "condition"), "service_completed_successfully");
    for (const auto& database : databases) {
      ASSERT_TRUE(depends.count(database)) << name << " does not wait for " << database;
      EXPECT_EQ(scalar(merged(depends.at(database)), "condition"), "service_healthy");
    }
  }
}

TEST_F(ComposeFileTest, EveryLongRunningServiceHasAHealthCheck) {
  for (const auto& [name, fields] : services()) {
    if (scalar(fields, "restart") == "no") continue;  // one-shot
    const auto check =
        merged(fields.count("healthcheck") ? fields.at("healthcheck") : YAML::Node());
    EXPECT_FALSE(strings(check, "test").empty()) << name << " has no health check";
    EXPECT_NE(scalar(check, "disable"), "true") << name;
  }
  EXPECT_NE(words(merged(service(kPrimary)["healthcheck"]), "test").find("pg_isready"),
            std::string::npos);
  EXPECT_NE(words(merged(service(kReplica)["healthcheck"]), "test").find("pg_isready"),
            std::string::npos);
  EXPECT_NE(words(merged(service(kRedis)["healthcheck"]), "test").find("ping"), std::string::npos);
  for (const char* api : {kMainApi, kObservatoryApi}) {
    EXPECT_NE(words(merged(service(api)["healthcheck"]), "test").find("/health"), std::string::npos)
        << api;
  }
}

TEST_F(ComposeFileTest, DataAndStateAreOnNamedVolumes) {
  std::set<std::string> declared;
  for (const auto& entry : (*compose_)["volumes"]) declared.insert(entry.first.as<std::string>());
  for (const auto& [name, fields] : services()) {
    for (const auto& mount : mounts(fields)) {
      if (!mount.named()) continue;
      EXPECT_TRUE(declared.count(mount.source)) << name << ": " << mount.source;
    }
  }
  const std::map<std::string, std::string> data_dirs{{kPrimary, "/var/lib/postgresql/data"},
                                                     {kReplica, "/var/lib/postgresql/data"},
                                                     {kRedis, "/data"},
                                                     {kMainApi, "/var/lib/ops-db-api"},
                                                     {kObservatoryApi, "/var/lib/ops-db-api"}};
  for (const auto& [name, dir] : data_dirs) {
    const auto all = mounts(service(name));
    EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                            [&](const Mount& m) { return m.named() && m.target == dir; }))
        << name << " keeps " << dir << " in the container";
  }
  for (const char* api : {kMainApi, kObservatoryApi}) {
    EXPECT_EQ(environment(service(api)).at("JOURNAL_PATH").rfind("/var/lib/ops-db-api/", 0), 0U)
        << api << ": the journal must be on the state volume";
  }
}

TEST_F(ComposeFileTest, BothApisArePublishedOnPortsOfTheirOwn) {
  std::set<std::string> host_ports;
  for (const char* api : {kMainApi, kObservatoryApi}) {
    const auto ports = strings(service(api), "ports");
    ASSERT_EQ(ports.size(), 1U) << api;
    const auto colon = ports[0].rfind(':');
    ASSERT_NE(colon, std::string::npos) << api;
    EXPECT_EQ(ports[0].substr(colon + 1), environment(service(api)).at("HTTP_PORT")) << api;
    host_ports.insert(ports[0].substr(0, colon));
  }
  EXPECT_EQ(host_ports.size(), 2U);
}

TEST_F(ComposeFileTest, ReplicaClonesThroughASlotThePrimaryCreates) {
  const auto primary = service(kPrimary);
  const auto primary_env = environment(primary);
  const auto primary_command = words(primary, "command");
  EXPECT_NE(primary_command.find("wal_level=replica"), std::string::npos);
  EXPECT_NE(primary_command.find("max_wal_senders="), std::string::npos);
  const auto init = mounted_file(primary, "/docker-entrypoint-initdb.d/10-primary-init.sh");
  EXPECT_NE(init.find("pg_create_physical_replication_slot"), std::string::npos);
  EXPECT_NE(init.find("REPLICATION_SLOTS"), std::string::npos);
  EXPECT_NE(init.find("host replication"), std::string::npos);

  const auto replica = service(kReplica);
  const auto replica_env = environment(replica);
  EXPECT_EQ(replica_env.at("PRIMARY_HOST"), kPrimary);
  EXPECT_EQ(replica_env.at("REPLICATION_USER"), primary_env.at("REPLICATION_USER"));
  std::set<std::string> slots;
  std::stringstream list(primary_env.at("REPLICATION_SLOTS"));
  for (std::string slot; std::getline(list, slot, ',');) slots.insert(slot);
  EXPECT_TRUE(slots.count(replica_env.at("REPLICATION_SLOT")))
      << "the primary makes no slot " << replica_env.at("REPLICATION_SLOT");

  // The entrypoint runs the mounted script, which clones with that slot.
  const auto entrypoint = words(replica, "entrypoint");
  std::smatch script;
  ASSERT_TRUE(std::regex_search(entrypoint, script, std::regex(R"((/\S+\.sh))"))) << entrypoint;
  const auto bootstrap = mounted_file(replica, script[1]);
  EXPECT_TRUE(std::regex_search(
      bootstrap, std::regex(R"(pg_basebackup[^\n]*(\\\n[^\n]*)*-R[^\n]*-S "\$REPLICATION_SLOT")")))
      << "the replica's entrypoint does not clone with pg_basebackup -R -S $REPLICATION_SLOT";
  EXPECT_NE(bootstrap.find("exec docker-entrypoint.sh"), std::string::npos);
  EXPECT_NE(words(replica, "command").find("hot_standby=on"), std::string::npos);
}

TEST_F(ComposeFileTest, RedisRunsWithTheShippedDurableConfiguration) {
  const auto redis = service(kRedis);
  const auto conf = mounted_file(redis, "/usr/local/etc/redis/redis.conf.in");
  EXPECT_NE(conf.find("\nappendonly yes"), std::string::npos);
  EXPECT_NE(conf.find("\nappendfsync always"), std::string::npos);
  const auto entrypoint = words(redis, "entrypoint");
  EXPECT_NE(entrypoint.find("/usr/local/etc/redis/redis.conf.in"), std::string::npos);
  EXPECT_NE(entrypoint.find("redis-server /tmp/redis.conf"), std::string::npos);
}

TEST_F(ComposeFileTest, LinkFaultsSidecarSitsInTheObservatoryApisNetwork) {
  const auto faults = service("link-faults");
  EXPECT_EQ(strings(faults, "profiles"), std::vector<std::string>{"faults"});
  EXPECT_EQ(scalar(faults, "network_mode"), std::string("service:") + kObservatoryApi);
  EXPECT_EQ(strings(faults, "cap_add"), std::vector<std::string>{"NET_ADMIN"});
  EXPECT_EQ(environment(faults).at("MAIN_DB_HOST"), kPrimary);
}

// The Dockerfile's stages: text from one FROM line to the next.
std::vector<std::string> stages(const std::string& dockerfile) {
  std::vector<std::string> out;
  std::istringstream lines(dockerfile);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("FROM ", 0) == 0) out.emplace_back();
    if (!out.empty()) out.back() += line + "\n";
  }
  return out;
}

TEST(DockerfileTest, BuildsWithTheSetupScriptAndRunsAsAnUnprivilegedUser) {
  const auto all = stages(read_text(docker_dir() + "Dockerfile"));
  ASSERT_GE(all.size(), 2U);
  const auto& build = all.front();
  const auto& runtime = all.back();  // what `docker build` makes without --target
  EXPECT_NE(build.find("FROM debian:bookworm AS build"), std::string::npos);
  EXPECT_TRUE(std::regex_search(build, std::regex(R"(setup\.sh build\b)")));
  EXPECT_NE(build.find("-DBUILD_TESTING=OFF"), std::string::npos);
  EXPECT_NE(build.find("-DCMAKE_BUILD_TYPE=Release"), std::string::npos);

  EXPECT_NE(runtime.find("FROM debian:bookworm-slim"), std::string::npos);
  EXPECT_NE(runtime.find("COPY scripts/setup.sh"), std::string::npos);
  EXPECT_TRUE(std::regex_search(runtime, std::regex(R"(setup\.sh runtime\b)")));
  std::smatch user;
  ASSERT_TRUE(std::regex_search(runtime, user, std::regex(R"(\nUSER (\S+))")));
  EXPECT_NE(user[1], "root");
  EXPECT_NE(user[1], "0");
  EXPECT_TRUE(
      std::regex_search(runtime, std::regex(R"(\nHEALTHCHECK [^\n]*(\\\n[^\n]*)*/health)")));
  EXPECT_NE(runtime.find("\nEXPOSE 8000"), std::string::npos);
  EXPECT_NE(runtime.find("\nVOLUME "), std::string::npos);
  EXPECT_NE(runtime.find("ENTRYPOINT [\"ops-db-api\"]"), std::string::npos);

  const auto ignore = read_text(test::source_dir() + "/.dockerignore");
  for (const char* pattern : {"build*/", ".stack*/", ".git"}) {
    EXPECT_NE(ignore.find(std::string("\n") + pattern + "\n"), std::string::npos) << pattern;
  }
}

}  // namespace
}  // namespace opsdb
