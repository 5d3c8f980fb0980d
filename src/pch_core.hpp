#pragma once
// Precompiled header of the layers without Beast or Asio (core, domain, postgres, api): the JSON
// library every one of them parses, and the standard headers they share. Nothing of an adapter's
// library may appear here: core and domain compile with the poisoned include directory.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>
