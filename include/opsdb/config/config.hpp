#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace opsdb {

enum class SiteType { main, secondary };
enum class LogFormat { text, json };

/// A host and a TCP port, as in `host:port`.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

/// Connection settings of one PostgreSQL server.
struct DbConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5432;
  std::string user = "ops";
  std::string password;  // never logged
  std::string name = "ops_db";
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds statement_timeout{30'000};
};

/// The whole configuration, parsed and validated once at start (DESIGN §10).
struct Config {
  std::string site_name = "observatory";
  SiteType site_type = SiteType::secondary;

  DbConfig main_db;   // MAIN_DB_*
  DbConfig local_db;  // LOCAL_DB_*: the local replica at a secondary site

  std::string redis_host = "127.0.0.1";
  std::uint16_t redis_port = 6379;
  int redis_db = 0;
  std::string redis_password;  // never logged
  std::chrono::milliseconds redis_command_timeout{1'000};
  /// Redis Sentinels to ask for the current master of `redis_sentinel_master`
  /// (REDIS_SENTINELS=host:port,...); when set, REDIS_HOST/REDIS_PORT are not used.
  std::vector<HostPort> redis_sentinels;
  std::string redis_sentinel_master = "mymaster";
  /// A buffered write is acknowledged only once this many Redis replicas confirmed it (WAIT).
  int redis_min_replicas_ack = 0;

  std::string http_address = "0.0.0.0";
  std::uint16_t http_port = 8000;
  int http_threads = 2;
  int db_pool_size = 4;  // reader connections per database
  /// Calls that may wait for a connection of one database; more fail at once with 503.
  std::size_t db_queue_limit = 256;
  /// A call that finds no free connection within this long fails with 503 without running.
  std::chrono::milliseconds db_queue_timeout{5'000};
  std::size_t http_body_limit = 1024 * 1024;
  std::size_t http_json_max_depth = 64;          // nesting of request bodies
  std::size_t http_json_max_string = 64 * 1024;  // bytes of one string or key in a body
  std::size_t bulk_max_files = 10'000;           // files of one bulk registration
  /// Open connections served at once; one more is answered 503 and closed.
  std::size_t http_max_connections = 1024;
  /// From accepting a connection (or the first byte of a later request) to its complete header.
  std::chrono::milliseconds http_header_timeout{10'000};
  /// How long a keep-alive connection may wait for its next request.
  std::chrono::milliseconds http_idle_timeout{30'000};
  /// From the end of the header to the end of the body.
  std::chrono::milliseconds http_body_timeout{30'000};
  /// Writing one response; a client that does not read is cut off.
  std::chrono::milliseconds http_write_timeout{30'000};
  /// WebSocket clients served at once (they count as connections too); one more upgrade is
  /// answered 429.
  std::size_t ws_max_clients = 100;
  /// A WebSocket client silent this long is pinged; one silent for two intervals is dropped.
  std::chrono::milliseconds ws_ping_interval{15'000};
  /// Messages, and bytes, that may wait for one WebSocket client; a client that lets more pile
  /// up is closed with 1013 (it reconnects and resumes).
  std::size_t ws_queue_messages = 1024;
  std::size_t ws_queue_bytes = 4 * 1024 * 1024;
  /// Recent events kept (in Redis) for WebSocket clients that resume after a reconnect.
  std::size_t events_recent_max = 10'000;
  /// Directory of the API documentation's pages (/docs, /redoc) and their assets; empty:
  /// beside the binary (`web/` in the build tree, else `../share/ops-db-api/web`).
  std::string docs_assets_dir;

  int transaction_retry_attempts = 3;
  std::chrono::milliseconds transaction_retry_delay{5'000};
  std::chrono::milliseconds retry_max_delay{300'000};
  std::chrono::milliseconds background_processing_interval{1'000};
  int drain_batch_size = 500;
  std::size_t drain_batch_bytes = 16 * 1024 * 1024;  // documents per batch, in bytes
  /// The single-drainer lease; always longer than one main-database call (derived when 0).
  std::chrono::milliseconds drain_lease_ttl{0};
  /// A loop without a finished step this long while work is pending is "stalled" (derived
  /// when 0).
  std::chrono::milliseconds drain_stall_timeout{0};
  /// Testing only: the next N drain steps throw (DRAIN_TEST_FAULT=throw:N).
  int drain_test_throws = 0;
  std::chrono::seconds transaction_status_ttl{86'400};
  /// How long a secondary site's buffer remembers an Idempotency-Key (IDEMPOTENCY_KEY_TTL).
  std::chrono::seconds idempotency_key_ttl{86'400};
  /// The local journal a secondary site writes to while Redis cannot take writes
  /// (JOURNAL_PATH), and its size limit (JOURNAL_MAX_BYTES; 0: no journal, such writes are
  /// refused).
  std::string journal_path = "ops-db-api.journal";
  std::uint64_t journal_max_bytes = 1ull << 30;

  bool lsn_tracking_enabled = true;
  std::chrono::milliseconds lsn_check_interval{100};
  std::chrono::milliseconds lsn_timeout{30'000};

  /// How often the site is sampled for /health, /metrics and the alerts.
  std::chrono::milliseconds health_check_interval{1'000};
  int alert_buffer_size = 1000;
  std::chrono::seconds alert_replication_lag{300};
  /// An alert condition must last this long before it is logged as firing or cleared.
  std::chrono::milliseconds alert_hold{5'000};

  /// Signs the JWTs the API accepts (HS256); empty: only API tokens are accepted. Never logged.
  std::string secret_key;
  /// Allows a SECRET_KEY shorter than 32 bytes. For a developer's machine only.
  bool insecure_development_mode = false;
  /// A credential verified from the local database is trusted from memory this long; cached
  /// credentials are re-read in the background every half of it, so a revocation reaches every
  /// site within it (plus replication).
  std::chrono::milliseconds auth_cache_ttl{30'000};
  /// The main site writes `last_used_at` of the tokens used since the last time this often.
  std::chrono::milliseconds auth_last_used_interval{60'000};
  std::string log_level = "info";
  LogFormat log_format = LogFormat::text;

  /// Where the telescope stands (Cerro Chajnantor): geodetic latitude and longitude in degrees,
  /// east positive, and height in metres; visibility is computed for this site.
  double telescope_latitude_deg = -22.9856;
  double telescope_longitude_deg = -67.7403;
  double telescope_altitude_m = 5612;
  /// Computed nights kept in memory (least recently used evicted), and how long each is kept.
  std::size_t visibility_cache_entries = 4096;
  std::chrono::milliseconds visibility_cache_ttl{24 * 3600 * 1000};
  /// Threads that compute visibility (never the HTTP threads), and the computations that may
  /// wait for them before requests are refused with 503.
  int visibility_threads = 1;
  std::size_t visibility_queue_limit = 64;
};

/// The longest one call to `db` may take: connecting plus the statement.
inline std::chrono::milliseconds call_deadline(const DbConfig& db) {
  return db.connect_timeout + db.statement_timeout;
}

/// A configuration value that cannot be used. The message names the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Builds the configuration from `env` (the process environment), then the entries of the
/// `.env` file at `dotenv_path` (if it exists), then defaults. Throws ConfigError on the first
/// invalid value.
Config load_config(const std::map<std::string, std::string>& env,
                   const std::optional<std::string>& dotenv_path);

/// Every configuration key the server reads, in the order `load_config` reads them.
std::vector<std::string> config_keys();

/// Parses the text of a `.env` file: KEY=VALUE lines, `#` comments, optional quotes, `export `.
std::map<std::string, std::string> parse_dotenv(const std::string& text);

/// The process environment as a map.
std::map<std::string, std::string> process_environment();

/// libpq connection string for `db` with the deadlines of DESIGN §6 (connect timeout, TCP
/// keepalives, tcp_user_timeout, statement_timeout). Contains the password: never log it.
std::string connection_string(const DbConfig& db);

/// `connection_string` with the password masked, for logs.
std::string redacted_connection_string(const DbConfig& db);

const char* to_string(SiteType type);

}  // namespace opsdb
