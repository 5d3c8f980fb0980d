#!/usr/bin/env bash
# Installs every build, run and test dependency from Debian (bookworm) packages.
# Idempotent: when everything is already installed it only asks dpkg and exits.
set -euo pipefail

# Boost 1.81 components on purpose: 1.74's Asio breaks C++20 coroutines on g++ 12,
# and libboost-all-dev would pull 1.74 in next to them.
packages=(
  build-essential g++ cmake pkg-config ccache git
  libboost1.81-dev libboost-system1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libpqxx-dev libpq-dev libhiredis-dev nlohmann-json3-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev prometheus-cpp-dev libcli11-dev
  # The IAU routines for source visibility (src/astro).
  liberfa-dev
  postgresql redis-server redis-tools
  nftables wrk procps iproute2 python3 curl
  # promtool: checks /metrics and unit-tests the alerting rules in deploy/prometheus.
  prometheus
  # The fuzz targets (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes.
  clang-16 libclang-rt-16-dev
)

# One dpkg-query for all of them keeps the already-installed case well under a second.
declare -A installed=()
while read -r name status; do
  [[ "$status" == installed ]] && installed[$name]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for pkg in "${packages[@]}"; do
  [[ -n "${installed[$pkg]:-}" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"

sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "setup: must run as root (or have sudo) to install packages" >&2; exit 1; }
  sudo=(sudo)
fi

# The stack runs its own PostgreSQL/Redis instances; keep the packages' services from
# being started by their postinst (Debian's policy-rc.d convention, exit 101 = deny).
policy=/usr/sbin/policy-rc.d
if [[ ! -e "$policy" ]]; then
  "${sudo[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi

"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
echo "setup: done"
