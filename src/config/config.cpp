#include "opsdb/config/config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

extern char** environ;

namespace opsdb {
namespace {

// HS256 keys shorter than the hash output weaken the signature (RFC 7518 §3.2).
constexpr std::size_t kMinSecretKeyBytes = 32;

std::string trim(const std::string& s) {
  auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  auto end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

// Looks a key up in the environment first, then in the .env entries.
class Source {
 public:
  Source(const std::map<std::string, std::string>& env, std::map<std::string, std::string> dotenv)
      : env_(env), dotenv_(std::move(dotenv)) {}

  /// Each key looked up is appended to `keys` (the list of keys the server knows).
  void record_keys(std::vector<std::string>* keys) { keys_ = keys; }

  std::optional<std::string> get(const std::string& key) const {
    if (keys_ != nullptr) keys_->push_back(key);
    if (auto it = env_.find(key); it != env_.end()) return it->second;
    if (auto it = dotenv_.find(key); it != dotenv_.end()) return it->second;
    return std::nullopt;
  }

 private:
  const std::map<std::string, std::string>& env_;
  std::map<std::string, std::string> dotenv_;
  std::vector<std::string>* keys_ = nullptr;
};

[[noreturn]] void invalid(const std::string& key, const std::string& value,
                          const std::string& why) {
  throw ConfigError("invalid " + key + "=\"" + value + "\": " + why);
}

long long parse_integer(const std::string& key, const std::string& value, long long min,
                        long long max) {
  long long result = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (ec != std::errc{} || ptr != value.data() + value.size()) {
    invalid(key, value, "expected an integer");
  }
  if (result < min || result > max) {
    invalid(key, value, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return result;
}

// Durations are given in seconds (fractions allowed, like the original system's keys).
std::chrono::milliseconds parse_seconds(const std::string& key, const std::string& value,
                                        double min, double max) {
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc{} || ptr != value.data() + value.size()) {
    invalid(key, value, "expected a number of seconds");
  }
  if (seconds < min || seconds > max) {
    std::ostringstream range;
    range << "must be between " << min << " and " << max << " seconds";
    invalid(key, value, range.str());
  }
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0 + 0.5));
}

bool parse_bool(const std::string& key, const std::string& value) {
  std::string v;
  for (char c : value) v.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  invalid(key, value, "expected true or false");
}

class Reader {
 public:
  explicit Reader(const Source& source) : source_(source) {}

  void string(const std::string& key, std::string& out, bool allow_empty = true) {
    if (auto v = source_.get(key)) {
      if (!allow_empty && v->empty()) invalid(key, *v, "must not be empty");
      out = *v;
    }
  }
  template <typename Int>
  void integer(const std::string& key, Int& out, long long min, long long max) {
    if (auto v = source_.get(key)) out = static_cast<Int>(parse_integer(key, *v, min, max));
  }
  template <typename Duration>
  void seconds(const std::string& key, Duration& out, double min, double max) {
    if (auto v = source_.get(key)) {
      out = std::chrono::duration_cast<Duration>(parse_seconds(key, *v, min, max));
    }
  }
  void number(const std::string& key, double& out, double min, double max) {
    auto v = source_.get(key);
    if (!v) return;
    double value = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
    if (ec != std::errc{} || ptr != v->data() + v->size()) invalid(key, *v, "expected a number");
    if (!(value >= min && value <= max)) {
      std::ostringstream range;
      range << "must be between " << min << " and " << max;
      invalid(key, *v, range.str());
    }
    out = value;
  }
  // A comma-separated list of host:port (an IPv6 address in brackets: [::1]:26379).
  void host_ports(const std::string& key, std::vector<HostPort>& out) {
    auto v = source_.get(key);
    if (!v) return;
    out.clear();
    std::stringstream items(*v);
    std::string item;
    while (std::getline(items, item, ',')) {
      item = trim(item);
      if (item.empty()) continue;
      const auto colon = item.rfind(':');
      if (colon == std::string::npos || colon == 0) invalid(key, *v, "expected host:port,...");
      std::string host = item.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
      }
      const auto port = parse_integer(key, item.substr(colon + 1), 1, 65535);
      out.push_back(HostPort{host, static_cast<std::uint16_t>(port)});
    }
  }
  void boolean(const std::string& key, bool& out) {
    if (auto v = source_.get(key)) out = parse_bool(key, *v);
  }
  template <typename Enum>
  void choice(const std::string& key, Enum& out, const std::map<std::string, Enum>& choices) {
    auto v = source_.get(key);
    if (!v) return;
    auto it = choices.find(*v);
    if (it == choices.end()) {
      std::string names;
      for (const auto& [name, _] : choices) names += (names.empty() ? "" : ", ") + name;
      invalid(key, *v, "expected one of " + names);
    }
    out = it->second;
  }
  void db(const std::string& prefix, DbConfig& db) {
    string(prefix + "HOST", db.host, false);
    integer(prefix + "PORT", db.port, 1, 65535);
    string(prefix + "USER", db.user, false);
    string(prefix + "PASSWORD", db.password);
    string(prefix + "NAME", db.name, false);
    seconds(prefix + "CONNECT_TIMEOUT", db.connect_timeout, 1, 300);
    seconds(prefix + "STATEMENT_TIMEOUT", db.statement_timeout, 0.1, 3600);
  }

 private:
  const Source& source_;
};

// libpq keyword values are quoted so spaces and quotes in passwords survive.
std::string quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

std::string connection_string_with(const DbConfig& db, const std::string& password) {
  const auto connect_s = std::max<long long>(1, (db.connect_timeout.count() + 999) / 1000);
  std::ostringstream s;
  s << "host=" << quote(db.host) << " port=" << db.port << " user=" << quote(db.user)
    << " dbname=" << quote(db.name) << " application_name='ops-db-api'"
    << " connect_timeout="
    << connect_s
    // Keepalives and tcp_user_timeout turn a silently dropped link into an error instead of an
    // endless wait; statement_timeout bounds a slow server.
    << " keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3"
    << " tcp_user_timeout=" << db.connect_timeout.count() + db.statement_timeout.count()
    << " options='-c statement_timeout=" << db.statement_timeout.count() << " -c TimeZone=UTC'";
  if (!password.empty()) s << " password=" << quote(password);
  return s.str();
}

}  // namespace

std::map<std::string, std::string> parse_dotenv(const std::string& text) {
  std::map<std::string, std::string> entries;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));
    }
    entries[key] = value;
  }
  return entries;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

namespace {

Config read_config(const Source& source) {
  Reader r(source);
  Config c;
  r.string("SITE_NAME", c.site_name, false);
  for (char ch : c.site_name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') {
      invalid("SITE_NAME", c.site_name, "only letters, digits, '_' and '-' are allowed");
    }
  }
  r.choice("SITE_TYPE", c.site_type,
           {{"main", SiteType::main}, {"secondary", SiteType::secondary}});
  r.db("MAIN_DB_", c.main_db);
  c.local_db = c.main_db;
  r.db("LOCAL_DB_", c.local_db);
  r.string("REDIS_HOST", c.redis_host, false);
  r.integer("REDIS_PORT", c.redis_port, 1, 65535);
  r.integer("REDIS_DB", c.redis_db, 0, 15);
  r.string("REDIS_PASSWORD", c.redis_password);
  r.seconds("REDIS_COMMAND_TIMEOUT", c.redis_command_timeout, 0.01, 60);
  r.host_ports("REDIS_SENTINELS", c.redis_sentinels);
  r.string("REDIS_SENTINEL_MASTER", c.redis_sentinel_master, false);
  r.integer("REDIS_MIN_REPLICAS_ACK", c.redis_min_replicas_ack, 0, 16);
  r.string("HTTP_ADDRESS", c.http_address, false);
  r.integer("HTTP_PORT", c.http_port, 0, 65535);
  r.integer("HTTP_THREADS", c.http_threads, 1, 64);
  r.integer("DB_POOL_SIZE", c.db_pool_size, 1, 64);
  r.integer("DB_QUEUE_LIMIT", c.db_queue_limit, 1, 1'000'000);
  r.seconds("DB_QUEUE_TIMEOUT", c.db_queue_timeout, 0.001, 3600);
  r.integer("HTTP_BODY_LIMIT", c.http_body_limit, 1024, 256LL * 1024 * 1024);
  r.integer("HTTP_MAX_CONNECTIONS", c.http_max_connections, 1, 1'000'000);
  r.seconds("HTTP_HEADER_TIMEOUT", c.http_header_timeout, 0.001, 3600);
  r.seconds("HTTP_IDLE_TIMEOUT", c.http_idle_timeout, 0.001, 86400);
  r.seconds("HTTP_BODY_TIMEOUT", c.http_body_timeout, 0.001, 3600);
  r.seconds("HTTP_WRITE_TIMEOUT", c.http_write_timeout, 0.001, 3600);
  r.integer("WS_MAX_CLIENTS", c.ws_max_clients, 1, 1'000'000);
  r.seconds("WS_PING_INTERVAL", c.ws_ping_interval, 0.1, 3600);
  r.integer("WS_QUEUE_MESSAGES", c.ws_queue_messages, 1, 1'000'000);
  r.integer("WS_QUEUE_BYTES", c.ws_queue_bytes, 1024, 1LL << 30);
  r.integer("EVENTS_RECENT_MAX", c.events_recent_max, 1, 10'000'000);
  r.string("DOCS_ASSETS_DIR", c.docs_assets_dir);
  // A buffered transaction document wraps a body in three more levels, and the drain reads
  // documents of at most 128 (Transaction::parse): a deeper body would be accepted, then
  // dead-lettered.
  r.integer("HTTP_JSON_MAX_DEPTH", c.http_json_max_depth, 1, 120);
  r.integer("HTTP_JSON_MAX_STRING", c.http_json_max_string, 1, 256LL * 1024 * 1024);
  r.integer("BULK_MAX_FILES", c.bulk_max_files, 1, 1'000'000);
  r.integer("TRANSACTION_RETRY_ATTEMPTS", c.transaction_retry_attempts, 1, 1000);
  r.seconds("TRANSACTION_RETRY_DELAY", c.transaction_retry_delay, 0.001, 3600);
  r.seconds("RETRY_MAX_DELAY", c.retry_max_delay, 0.001, 86400);
  r.seconds("BACKGROUND_PROCESSING_INTERVAL", c.background_processing_interval, 0.001, 3600);
  r.integer("DRAIN_BATCH_SIZE", c.drain_batch_size, 1, 100000);
  r.integer("DRAIN_BATCH_BYTES", c.drain_batch_bytes, 1024, 1LL << 30);
  r.seconds("DRAIN_LEASE_TTL", c.drain_lease_ttl, 0, 86400);
  r.seconds("DRAIN_STALL_TIMEOUT", c.drain_stall_timeout, 0, 86400);
  if (auto fault = source.get("DRAIN_TEST_FAULT")) {
    if (fault->rfind("throw:", 0) != 0) invalid("DRAIN_TEST_FAULT", *fault, "expected throw:N");
    c.drain_test_throws =
        static_cast<int>(parse_integer("DRAIN_TEST_FAULT", fault->substr(6), 0, 1000));
  }
  r.seconds("TRANSACTION_STATUS_TTL", c.transaction_status_ttl, 1, 365.0 * 86400);
  r.seconds("IDEMPOTENCY_KEY_TTL", c.idempotency_key_ttl, 60, 365.0 * 86400);
  r.string("JOURNAL_PATH", c.journal_path, false);
  r.integer("JOURNAL_MAX_BYTES", c.journal_max_bytes, 0, 1LL << 40);
  r.boolean("LSN_TRACKING_ENABLED", c.lsn_tracking_enabled);
  r.seconds("LSN_CHECK_INTERVAL", c.lsn_check_interval, 0.001, 3600);
  r.seconds("LSN_TIMEOUT", c.lsn_timeout, 0.001, 86400);
  r.seconds("HEALTH_CHECK_INTERVAL", c.health_check_interval, 0.01, 3600);
  r.integer("ALERT_BUFFER_SIZE", c.alert_buffer_size, 1, 1LL << 40);
  r.seconds("ALERT_REPLICATION_LAG", c.alert_replication_lag, 1, 86400);
  r.seconds("ALERT_HOLD", c.alert_hold, 0, 3600);
  r.string("SECRET_KEY", c.secret_key);
  r.boolean("INSECURE_DEVELOPMENT_MODE", c.insecure_development_mode);
  r.seconds("AUTH_CACHE_TTL", c.auth_cache_ttl, 0.1, 300);
  r.seconds("AUTH_LAST_USED_INTERVAL", c.auth_last_used_interval, 0.1, 86400);
  r.choice("LOG_LEVEL", c.log_level,
           std::map<std::string, std::string>{{"trace", "trace"},
                                              {"debug", "debug"},
                                              {"info", "info"},
                                              {"warn", "warn"},
                                              {"error", "error"},
                                              {"critical", "critical"}});
  r.choice("LOG_FORMAT", c.log_format, {{"text", LogFormat::text}, {"json", LogFormat::json}});
  r.number("TELESCOPE_LATITUDE_DEG", c.telescope_latitude_deg, -90, 90);
  r.number("TELESCOPE_LONGITUDE_DEG", c.telescope_longitude_deg, -180, 180);
  // From the Dead Sea shore to above any mountain: a value outside is a unit mistake (feet, km).
  r.number("TELESCOPE_ALTITUDE_M", c.telescope_altitude_m, -500, 10000);
  r.integer("VISIBILITY_CACHE_ENTRIES", c.visibility_cache_entries, 0, 1'000'000);
  r.seconds("VISIBILITY_CACHE_TTL", c.visibility_cache_ttl, 1, 30.0 * 86400);
  r.integer("VISIBILITY_THREADS", c.visibility_threads, 1, 64);
  r.integer("VISIBILITY_QUEUE_LIMIT", c.visibility_queue_limit, 1, 100'000);
  // The key itself never appears in the message.
  if (!c.secret_key.empty() && c.secret_key.size() < kMinSecretKeyBytes &&
      !c.insecure_development_mode) {
    throw ConfigError("invalid SECRET_KEY: it has " + std::to_string(c.secret_key.size()) +
                      " bytes, at least " + std::to_string(kMinSecretKeyBytes) +
                      " are needed (INSECURE_DEVELOPMENT_MODE=true allows a short key on a "
                      "development machine)");
  }
  if (c.retry_max_delay < c.transaction_retry_delay) {
    throw ConfigError("invalid RETRY_MAX_DELAY: must not be smaller than TRANSACTION_RETRY_DELAY");
  }
  // A lease that can expire while its holder waits for the main database would let a second
  // drainer start on the same batch.
  const auto deadline = call_deadline(c.main_db);
  if (c.drain_lease_ttl.count() == 0) {
    c.drain_lease_ttl = std::max<std::chrono::milliseconds>(std::chrono::seconds(30), 2 * deadline);
  } else if (c.drain_lease_ttl <= deadline) {
    throw ConfigError(
        "invalid DRAIN_LEASE_TTL: must be longer than MAIN_DB_CONNECT_TIMEOUT + "
        "MAIN_DB_STATEMENT_TIMEOUT (" +
        std::to_string(deadline.count() / 1000.0) + " s)");
  }
  if (c.drain_stall_timeout.count() == 0) {
    c.drain_stall_timeout = std::max<std::chrono::milliseconds>(std::chrono::seconds(60),
                                                                c.retry_max_delay + 2 * deadline);
  }
  return c;
}

}  // namespace

Config load_config(const std::map<std::string, std::string>& env,
                   const std::optional<std::string>& dotenv_path) {
  std::map<std::string, std::string> dotenv;
  if (dotenv_path) {
    std::ifstream file(*dotenv_path);
    if (file) {
      std::stringstream text;
      text << file.rdbuf();
      dotenv = parse_dotenv(text.str());
    }
  }
  return read_config(Source(env, std::move(dotenv)));
}

std::vector<std::string> config_keys() {
  const std::map<std::string, std::string> none;
  Source source(none, {});
  std::vector<std::string> keys;
  source.record_keys(&keys);
  read_config(source);
  std::vector<std::string> unique;
  for (auto& key : keys) {
    if (std::find(unique.begin(), unique.end(), key) == unique.end()) unique.push_back(key);
  }
  return unique;
}

std::string connection_string(const DbConfig& db) {
  return connection_string_with(db, db.password);
}

std::string redacted_connection_string(const DbConfig& db) {
  return connection_string_with(db, db.password.empty() ? "" : "****");
}

const char* to_string(SiteType type) {
  return type == SiteType::main ? "main" : "secondary";
}

}  // namespace opsdb
