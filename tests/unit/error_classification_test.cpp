#include "opsdb/postgres/error_classification.hpp"

#include <gtest/gtest.h>

namespace opsdb {
namespace {


TEST(ErrorClassification, OutagesAndTransientConflictsAreConnectivity) {
  for (const char* state : {"08006", "08001", "40001", "40P01", "57P01", "57014", "53300", "55P03",
                            "58030", "XX000", ""}) {
    EXPECT_EQ(classify_sqlstate(state), Fault::unavailable) << state;
  }
}

TEST(ErrorClassification, ViolationsAndBadValuesAreData) {
  for (const char* state :
       {"23505", "23503", "23514", "23502", "22P02", "22007", "P0002", "42703"}) {
    EXPECT_EQ(classify_sqlstate(state), Fault::rejected) << state;
  }
}

}  // namespace
}  // namespace opsdb
