#include "pg_probe.hpp"

#include <iostream>
#include <pqxx/pqxx>

#include "stack.hpp"

namespace opsdb::test {

struct PgProbe::Impl {
  explicit Impl(const DbConfig& db) : conn(connection_string(db)) {}
  pqxx::connection conn;
};

PgProbe::PgProbe(const DbConfig& db) : impl_(std::make_unique<Impl>(db)) {}

PgProbe::~PgProbe() = default;

long long PgProbe::scalar(const std::string& sql, const std::vector<std::string>& params) {
  pqxx::nontransaction work(impl_->conn);
  auto r = work.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
  return r.at(0).at(0).as<long long>();
}

std::vector<std::string> PgProbe::column(const std::string& sql,
                                         const std::vector<std::string>& params) {
  pqxx::nontransaction work(impl_->conn);
  std::vector<std::string> out;
  for (const auto& row : work.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    out.push_back(row[0].is_null() ? "" : row[0].c_str());
  }
  return out;
}

void PgProbe::exec(const std::string& sql, const std::vector<std::string>& params) {
  pqxx::nontransaction work(impl_->conn);
  work.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}

ReplayPause::ReplayPause() : replica_(superuser(stack_config().local_db)) {
  replica_.exec("SELECT pg_wal_replay_pause()");
}

ReplayPause::~ReplayPause() {
  try {
    resume();
  } catch (const std::exception& e) {
    std::cerr << "resuming the replica's replay failed: " << e.what() << "\n";
  }
}

void ReplayPause::resume() { replica_.exec("SELECT pg_wal_replay_resume()"); }

}  // namespace opsdb::test
