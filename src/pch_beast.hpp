#pragma once
// Precompiled header of the HTTP layer (and of the test support, whose client speaks HTTP with
// Beast): Asio and the parts of Beast in use. Project headers under include/ never pull Beast or
// Asio in.
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
