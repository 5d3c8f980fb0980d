#include "opsdb/status/site_status.hpp"

namespace opsdb {

std::string_view to_string(DrainState state) {
  switch (state) {
    case DrainState::starting:
      return "starting";
    case DrainState::running:
      return "running";
    case DrainState::idle:
      return "idle";
    case DrainState::standby:
      return "standby";
    case DrainState::retrying:
      return "retrying";
    case DrainState::waiting_for_main_db:
      return "waiting_for_main_db";
    case DrainState::refused_by_main_db:
      return "refused_by_main_db";
    case DrainState::waiting_for_redis:
      return "waiting_for_redis";
    case DrainState::stalled:
      return "stalled";
    case DrainState::stopped:
      return "stopped";
  }
  return "starting";
}

}  // namespace opsdb
