#!/usr/bin/env bash
# Installs what the build needs and builds everything (server and tests) into build/.
# BUILD_JOBS sets the parallelism (default 2).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"${BUILD_JOBS:-2}"
