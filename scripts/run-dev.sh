#!/usr/bin/env bash
# Development server: dependencies, build, local stack, migrations and demo data, then
# `ops-db-api serve` in the foreground. SITE_TYPE defaults to secondary (set SITE_TYPE=main
# for the Cologne behaviour). The stack keeps running afterwards; stop it with
# scripts/stack.sh stop. The demo administrator's API token is printed and kept in
# .stack/demo-token.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

scripts/build.sh
scripts/stack.sh start

eval "$(scripts/stack.sh env)"
export SITE_TYPE=${SITE_TYPE:-secondary}
# Writes Redis cannot take are journaled beside the stack's data.
export JOURNAL_PATH=${JOURNAL_PATH:-${STACK_DIR:-$repo/.stack}/ops-db-api.journal}

build/ops-db-api migrate
# A new demo administrator token each run, kept beside the stack's data for curl.
build/ops-db-api seed-demo >"${STACK_DIR:-$repo/.stack}/demo-token"
echo "demo administrator token: $(cat "${STACK_DIR:-$repo/.stack}/demo-token")"
exec build/ops-db-api serve
