#pragma once
// Precompiled header of the layers that drive Asio without Beast (redis, app): the heavy
// third-party headers they use. Core, domain and postgres never see it.
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>
