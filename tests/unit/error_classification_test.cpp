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
  for (const char* state : {"23505", "23503", "23514", "23502", "22P02", "22007", "P0002"}) {
    EXPECT_EQ(classify_sqlstate(state), Fault::rejected) << state;
  }
}

// What the database says about itself stops the drain for the site, never for one write: a
// maintenance window or a revoked GRANT must not empty the buffer into the dead-letter queue.
TEST(ErrorClassification, WhatTheDatabaseSaysAboutItselfIsSiteWide) {
  struct Case {
    const char* state;
    const char* reason_word;
  };
  for (const auto& c :
       {Case{"25006", "read-only"}, Case{"42501", "permission"}, Case{"42P01", "table"},
        Case{"42703", "column"}, Case{"42883", "procedure"}, Case{"3F000", "schema"},
        Case{"3D000", "database"}, Case{"28P01", "credentials"}, Case{"53100", "resources"},
        Case{"53200", "resources"}, Case{"57014", "cancelled"}, Case{"57P01", "shutdown"},
        Case{"42601", "statement"}, Case{"XX000", "internal"}}) {
    EXPECT_EQ(classify_sqlstate(c.state), Fault::unavailable) << c.state;
    EXPECT_NE(describe_sqlstate(c.state).find(c.reason_word), std::string_view::npos)
        << c.state << ": " << describe_sqlstate(c.state);
  }
}

TEST(ErrorClassification, RowLevelErrorsCountAgainstTheTransaction) {
  for (const char* state : {"22P05", "22003", "22001", "22021", "23505", "23503", "23502", "23514",
                            "P0002", "54000", "54001"}) {
    EXPECT_EQ(classify_sqlstate(state), Fault::rejected) << state;
    EXPECT_TRUE(describe_sqlstate(state).empty()) << state;
  }
}

TEST(ErrorClassification, UnknownCodesNeverBlameTheWrite) {
  for (const char* state : {"ZZ999", "P0001", "F0000", "HV000", "0A000", "1", "abcdef"}) {
    EXPECT_EQ(classify_sqlstate(state), Fault::unavailable) << state;
  }
}

}  // namespace
}  // namespace opsdb
