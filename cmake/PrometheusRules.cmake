# ctest tests for the Prometheus alerting rules in deploy/prometheus/ (see its README.md):
#   prometheus.rules_check  promtool check rules: the file loads, no duplicate rules
#   prometheus.rules_test   promtool test rules: the unit tests in ops-db-api.rules.test.yml
# Both are labelled `unit` (they need no services). Included from tests/CMakeLists.txt; paths
# are taken from this file's location, so it works whichever directory includes it.
#
# promtool comes with Debian's `prometheus` package. It is required by default so that CI
# cannot skip the rules unnoticed; -DOPSDB_REQUIRE_PROMTOOL=OFF configures without these
# tests where it is not installed.
option(OPSDB_REQUIRE_PROMTOOL "Fail to configure when promtool (Debian package prometheus) is missing" ON)

# The rules use keep_firing_for, which promtool understands from 2.42 on.
find_program(PROMTOOL promtool)
if(NOT PROMTOOL)
  if(OPSDB_REQUIRE_PROMTOOL)
    message(FATAL_ERROR "promtool not found; it tests the alerting rules in deploy/prometheus/. "
      "Install Debian's `prometheus` package (2.42 or later), or configure with "
      "-DOPSDB_REQUIRE_PROMTOOL=OFF to build without the prometheus.* tests.")
  endif()
  message(STATUS "promtool not found: the prometheus.* tests are left out")
  return()  # from this included file only
endif()

cmake_path(SET OPSDB_PROMETHEUS_DIR NORMALIZE "${CMAKE_CURRENT_LIST_DIR}/../deploy/prometheus")

# --lint-fatal: a lint finding (a duplicate rule) fails the test instead of only being printed.
add_test(NAME prometheus.rules_check
  COMMAND ${PROMTOOL} check rules --lint-fatal ${OPSDB_PROMETHEUS_DIR}/ops-db-api.rules.yml)
# rule_files in the test file is relative to the directory promtool runs in.
add_test(NAME prometheus.rules_test
  COMMAND ${PROMTOOL} test rules ops-db-api.rules.test.yml
  WORKING_DIRECTORY ${OPSDB_PROMETHEUS_DIR})
set_tests_properties(prometheus.rules_check prometheus.rules_test PROPERTIES
  LABELS unit TIMEOUT 60)
