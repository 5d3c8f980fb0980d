#!/usr/bin/env bash
# The project's one test command: install dependencies, build, bring up the local service
# stack, run every CTest test against it, then build and run the sanitizer stages:
#   plain  build/       every test (extra arguments go to this ctest run, e.g. -L unit)
#   asan   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer (leaks included): the unit
#                       and integration tests, the server they launch built the same way
#   tsan   build-tsan/  ThreadSanitizer: the unit tests and the Redis client's integration tests
#   fuzz   build-fuzz/  every libFuzzer target for FUZZ_SECONDS (default 30; 0 skips them),
#                       scripts/fuzz.sh
# `scripts/test.sh --plain [ctest args]` runs the plain stage only; TEST_STAGES="asan fuzz"
# picks stages. Every stage runs even when one before failed; the exit code is the first
# failure's (or 0).
# shellcheck disable=SC2317 # the stages' functions run through `timed` and the EXIT trap
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

stages=${TEST_STAGES:-plain asan tsan fuzz}
if [[ "${1:-}" == --plain ]]; then
  stages=plain
  shift
fi
jobs=${BUILD_JOBS:-2}

# Builds only what a sanitizer stage runs: the test executables and the server the integration
# tests launch (OPSDB_BINARY points into the same build tree). -O1: the sanitizers' usual
# trade-off between speed and stack traces; no NDEBUG, so the code's assertions are checked too.
build_sanitized() {
  local dir=$1 sanitizers=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
    "-DOPSDB_SANITIZE=$sanitizers" >/dev/null
  cmake --build "$dir" -j"$jobs" --target "$@"
}

# Runs ctest on a sanitizer build. A report in a test process fails that test (the sanitizers
# end the process with an error); the servers the tests launch write theirs into their logs,
# which the test harness checks when it stops them (tests/support/server_process.cpp), and which
# this checks once more afterwards, so no report goes unnoticed even if a test never looked.
run_sanitized() {
  local name=$1 dir=$2
  shift 2
  local tmp="$repo/$dir/test-tmp"  # absolute: the tests run in their own directory
  rm -rf "$tmp" && mkdir -p "$tmp"
  local stage_rc=0
  TEST_TMPDIR="$tmp/" ctest --test-dir "$dir" --output-on-failure "$@" || stage_rc=$?
  if grep -l -E 'Sanitizer:|: runtime error: ' "$tmp"/*.log 2>/dev/null; then
    echo "$name: sanitizer reports in the server logs above" >&2
    if ((stage_rc == 0)); then stage_rc=1; fi
  fi
  return "$stage_rc"
}

# The thread sanitizer's selection: every unit test (the HTTP server on loopback sockets among
# them) and the Redis client's tests against the stack's Redis, the code with the most threads
# and callbacks. The rest of the integration tests would mostly measure the slowdown.
run_tsan() {
  local stage_rc=0
  run_sanitized tsan build-tsan -L unit -E '^layering\.' || stage_rc=$?
  local integration_rc=0
  run_sanitized tsan build-tsan -L integration -R '^(RedisClientTest|RedisScriptsTest)\.' \
    || integration_rc=$?
  if ((stage_rc == 0)); then stage_rc=$integration_rc; fi
  return "$stage_rc"
}

timings=()
timed() {
  local label=$1 start=$SECONDS stage_rc=0
  shift
  "$@" || stage_rc=$?
  timings+=("$(printf '%-22s %4ds  exit %d' "$label" $((SECONDS - start)) "$stage_rc")")
  return "$stage_rc"
}

want() { [[ " $stages " == *" $1 "* ]]; }

if want plain; then timed "plain build" scripts/build.sh; else scripts/setup.sh; fi

# Leave a stack the developer already had running alone; stop only one we started.
started_stack=0
cleanup() {
  # A failed fault test must not leave a blackhole behind.
  scripts/fault.sh clear >/dev/null 2>&1 || true
  if ((started_stack)); then scripts/stack.sh stop || true; fi
  if ((${#timings[@]})); then printf 'test.sh: %s\n' "${timings[@]}"; fi
}
trap cleanup EXIT
if ! scripts/stack.sh status >/dev/null 2>&1; then
  started_stack=1
  scripts/stack.sh start
fi

eval "$(scripts/stack.sh env)"

rc=0
record() { if ((rc == 0)); then rc=$1; fi; }

if want plain; then
  timed "plain tests" ctest --test-dir build --output-on-failure "$@" || record $?
fi

# The layering tests are compile checks, the same in every build: the plain stage runs them.
if want asan; then
  # halt_on_error: the first report ends the process. Leaks are checked when a process exits;
  # third-party findings that are not the project's to fix are suppressed, with reasons, in
  # tests/sanitizers/.
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$repo/tests/sanitizers/ubsan.supp"
  export LSAN_OPTIONS="suppressions=$repo/tests/sanitizers/lsan.supp"
  if timed "asan build" build_sanitized build-asan "address;undefined" \
      ops-db-api unit_tests integration_tests; then
    timed "asan tests" run_sanitized asan build-asan -L 'unit|integration' -E '^layering\.' \
      || record $?
  else
    record 1
  fi
  unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi

if want tsan; then
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$repo/tests/sanitizers/tsan.supp"
  if timed "tsan build" build_sanitized build-tsan thread unit_tests integration_tests; then
    timed "tsan tests" run_tsan || record $?
  else
    record 1
  fi
  unset TSAN_OPTIONS
fi

if want fuzz && ((${FUZZ_SECONDS:-30} > 0)); then
  timed "fuzz" scripts/fuzz.sh "${FUZZ_SECONDS:-30}" || record $?
fi

exit "$rc"
