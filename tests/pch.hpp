#pragma once
// Precompiled header of the test executables: GoogleTest and the JSON library, used by every test
// source. No Beast: the few tests that drive it include what they use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>
