#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang-16, address and undefined-behaviour sanitizers
# in build-fuzz/, then runs each one for SECONDS (default 30) from its seed corpus in
# fuzz/corpus/<target>/. Prints executions per second and in total for each target; exits
# non-zero when a target crashed (the input is kept in build-fuzz/crashes/<target>/, the log in
# build-fuzz/logs/<target>.log). Inputs found along the way go to build-fuzz/corpus/<target>/.
#
#   scripts/fuzz.sh            # 30 s per target (what scripts/test.sh runs)
#   scripts/fuzz.sh 600        # a longer local run
#   FUZZ_TARGETS="lsn timestamp" scripts/fuzz.sh 60
set -euo pipefail

seconds=${1:-30}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

scripts/setup.sh
CC=clang-16 CXX=clang++-16 cmake -S . -B build-fuzz -DOPSDB_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

read -r -a targets <<<"${FUZZ_TARGETS:-write_body request_target transaction_document \
observation_filter visibility_request idempotency_key dotenv lsn timestamp jwt authorization}"
cmake --build build-fuzz -j"${BUILD_JOBS:-2}" --target "${targets[@]/%/_fuzzer}"

# Targets whose input is JSON get the dictionary of JSON tokens and the API's field names.
dictionary() {
  case "$1" in
    write_body | transaction_document) echo "-dict=fuzz/json.dict" ;;
  esac
}

failed=()
printf '%-22s %12s %14s %s\n' target execs/s executions result
for target in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$target" "build-fuzz/crashes/$target" build-fuzz/logs
  log="build-fuzz/logs/$target.log"
  result=ok
  # -close_fd_mask=1: the server's own logging to stdout would only slow the run down.
  # shellcheck disable=SC2046 # the dictionary option is one word or none
  if ! "build-fuzz/fuzz/${target}_fuzzer" "build-fuzz/corpus/$target" "fuzz/corpus/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 -close_fd_mask=1 \
    -artifact_prefix="build-fuzz/crashes/$target/" $(dictionary "$target") >"$log" 2>&1; then
    result="CRASH (see $log)"
    failed+=("$target")
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-22s %12s %14s %s\n' "$target" "${rate:--}" "${execs:--}" "$result"
done

if ((${#failed[@]})); then
  echo "fuzz: crashes in ${failed[*]}" >&2
  exit 1
fi
