#!/usr/bin/env bash
# The project's one test command: install dependencies, build, bring up the local
# service stack, run every CTest test against it, then run every fuzz target for
# FUZZ_SECONDS each (default 30; 0 skips them) with scripts/fuzz.sh. Extra arguments go to
# ctest (e.g. `scripts/test.sh -L unit`) and leave the fuzz targets out. Exit code: non-zero
# when ctest or a fuzz target failed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

scripts/build.sh

# Leave a stack the developer already had running alone; stop only one we started.
started_stack=0
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
  # A failed fault test must not leave a blackhole behind.
  scripts/fault.sh clear >/dev/null 2>&1 || true
  if ((started_stack)); then scripts/stack.sh stop || true; fi
}
trap cleanup EXIT
if ! scripts/stack.sh status >/dev/null 2>&1; then
  started_stack=1
  scripts/stack.sh start
fi

eval "$(scripts/stack.sh env)"

rc=0
ctest --test-dir build --output-on-failure "$@" || rc=$?
if (($# == 0)) && ((${FUZZ_SECONDS:-30} > 0)); then
  scripts/fuzz.sh "${FUZZ_SECONDS:-30}" || rc=1
fi
exit "$rc"
