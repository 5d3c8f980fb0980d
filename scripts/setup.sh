#!/usr/bin/env bash
# Installs the project's dependencies from Debian (bookworm) packages, in named groups:
#   scripts/setup.sh           everything: build, run and test (development machines, CI)
#   scripts/setup.sh build     only what compiling the server needs (the image's build stage)
#   scripts/setup.sh runtime   only the shared libraries the server loads, and curl with
#                              ca-certificates for the health check (the image's runtime stage)
#   scripts/setup.sh web       only Node.js and npm, to install web/'s packages (the image's
#                              stage that prepares the API documentation's pages)
# The full set also installs web/'s packages from the npm registry (`npm ci --prefix web`,
# pinned by web/package-lock.json) whenever web/node_modules is missing or older than the lock.
# Idempotent: when everything is already installed it only asks dpkg (and stat) and exits.
set -euo pipefail

# Boost 1.81 components on purpose: 1.74's Asio breaks C++20 coroutines on g++ 12,
# and libboost-all-dev would pull 1.74 in next to them.
build_packages=(
  g++ make cmake pkg-config
  libboost1.81-dev libboost-system1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libpqxx-dev libpq-dev libhiredis-dev nlohmann-json3-dev libspdlog-dev
  libssl-dev prometheus-cpp-dev libcli11-dev
  # The IAU routines for source visibility (src/astro).
  liberfa-dev
  # bench/ is configured with every build (built on demand only) and asks for it.
  libbenchmark-dev
)

# What `ldd ops-db-api` resolves to, package by package (libstdc++6 and libc6 are in every
# Debian image).
runtime_packages=(
  libboost-url1.81.0 libpqxx-6.4 libpq5 libhiredis0.14 libspdlog1.10 libfmt9 libssl3
  libprometheus-cpp-core1.0 liberfa1
  ca-certificates curl
)

# Node.js and npm fetch the API documentation's pages (Swagger UI, ReDoc) from the npm registry;
# nothing loads them from a CDN at run time. A Node.js that ships its own npm (NodeSource's)
# conflicts with Debian's npm package, so npm is asked for only when the command is missing.
web_packages=(nodejs)
command -v npm >/dev/null 2>&1 || web_packages+=(npm)

# Development and tests on top of build and runtime.
test_packages=(
  build-essential ccache git
  libgtest-dev libgmock-dev
  postgresql redis-server redis-tools
  # Redis high availability: the failover tests run Sentinels.
  redis-sentinel
  # The compose file check (tests/unit/compose_file_test.cpp) parses docker/compose.yaml.
  libyaml-cpp-dev
  nftables wrk procps iproute2 python3
  # promtool: checks /metrics and unit-tests the alerting rules in deploy/prometheus.
  prometheus
  # The fuzz targets (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes.
  clang-16 libclang-rt-16-dev
  # The documentation pages' browser test (tests/browser): Debian's Chromium, driven by
  # puppeteer-core; a font so that its screenshots show text.
  chromium fonts-dejavu-core
)

group=${1:-all}
case "$group" in
  all) packages=("${build_packages[@]}" "${runtime_packages[@]}" "${web_packages[@]}"
                 "${test_packages[@]}") ;;
  build) packages=("${build_packages[@]}") ;;
  runtime) packages=("${runtime_packages[@]}") ;;
  web) packages=("${web_packages[@]}") ;;
  *) echo "usage: $0 [all|build|runtime|web]" >&2; exit 2 ;;
esac

# web/'s packages, exactly as the lock file pins them; a no-op while web/node_modules is newer
# than the lock (npm ci deletes and rewrites it, so its time is the last install's).
install_web_packages() {
  [[ "$group" == all ]] || return 0
  local web
  web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/web"
  if [[ -d "$web/node_modules" && ! "$web/package-lock.json" -nt "$web/node_modules" ]]; then
    return 0
  fi
  echo "setup: npm ci --prefix web"
  # No install scripts (none is needed: puppeteer-core downloads no browser, swagger-ui-dist's
  # is a telemetry hook), no audit or funding calls: only the packages.
  SCARF_ANALYTICS=false npm ci --prefix "$web" --no-audit --no-fund --ignore-scripts
  touch "$web/node_modules"
}

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
  install_web_packages
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
install_web_packages
echo "setup: done"
