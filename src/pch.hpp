#pragma once
// Precompiled header of the library: the heavy third-party headers. Project headers under
// include/ never pull Beast or Asio in; only the HTTP, Redis and app sources use them.
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
