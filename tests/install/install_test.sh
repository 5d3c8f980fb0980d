#!/usr/bin/env bash
# The installed layout as a service uses it: `cmake --install` into a temporary prefix, the
# files where the unit and the documentation say, the *installed* binary migrating the stack's
# main database and serving /health, and the installed unit accepted by systemd-analyze.
# Usage: install_test.sh BUILD_DIR. The stack's addresses come from the environment
# (`eval "$(scripts/stack.sh env)"`), as for the other integration tests.
set -euo pipefail

build_dir=${1:?usage: install_test.sh BUILD_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/ops-db-api-install.XXXXXX")
prefix=$work/prefix
server_pid=

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

echo "== cmake --install $build_dir --prefix $prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" || {
  cat "$work/install.log" >&2
  fail "cmake --install failed"
}

echo "== installed files"
binary=$prefix/bin/ops-db-api
unit=$prefix/lib/systemd/system/ops-db-api.service
doc=$prefix/share/doc/ops-db-api
expected=(
  "$binary"
  "$unit"
  "$prefix/lib/sysusers.d/ops-db-api.conf"
  "$doc/README.md"
  "$doc/ops-db-api.env.example"
  "$doc/prometheus/ops-db-api.rules.yml"
)
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for md in "$source_dir"/docs/*.md; do expected+=("$doc/$(basename "$md")"); done
for page in docs.html redoc.html swagger-ui-bundle.js redoc.standalone.js; do
  expected+=("$prefix/share/ops-db-api/web/$page")
done
for sql in "$source_dir"/migrations/*.sql; do
  expected+=("$prefix/share/ops-db-api/migrations/$(basename "$sql")")
done
for file in "${expected[@]}"; do
  [[ -f "$file" ]] || fail "not installed: ${file#"$prefix"/}"
done
[[ -x "$binary" ]] || fail "the installed binary is not executable"

# The unit starts the binary where it was installed, whatever the prefix.
grep -qxF "ExecStart=$binary serve" "$unit" ||
  fail "ExecStart does not name the installed binary: $(grep '^ExecStart=' "$unit")"
if grep -n '@[A-Za-z_]*@' "$unit"; then fail "placeholders left in the installed unit"; fi
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"
if grep -q '^ExecStartPre=.*migrate' "$unit"; then
  fail "the unit migrates on start; a secondary site must start without its main database"
fi

"$binary" --version | grep -q '^ops-db-api ' || fail "the installed binary does not run"

# Run from an empty directory, as the unit's WorkingDirectory is: no .env of the checkout, and
# the default (relative) JOURNAL_PATH lands in it.
run_dir=$work/state
mkdir -p "$run_dir"

echo "== installed binary: migrate"
(cd "$run_dir" && "$binary" migrate) >"$work/migrate.log" 2>&1 || {
  cat "$work/migrate.log" >&2
  fail "ops-db-api migrate failed"
}
grep -Eq 'schema is up to date|applied [0-9]+ migration' "$work/migrate.log" ||
  fail "unexpected output of migrate: $(cat "$work/migrate.log")"

echo "== installed binary: serve"
# Port 0: the kernel picks a free one, the server logs which.
: >"$work/serve.log"
(cd "$run_dir" && exec env -u NOTIFY_SOCKET HTTP_ADDRESS=127.0.0.1 HTTP_PORT=0 \
  "$binary" serve) >"$work/serve.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 300); do
  kill -0 "$server_pid" 2>/dev/null || {
    cat "$work/serve.log" >&2
    fail "the installed server exited during start"
  }
  port=$(sed -n 's/.*ops-db-api listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.log")
  if [[ -n "$port" ]] && curl -s -o "$work/health.json" -w '%{http_code}' --max-time 2 \
    "http://127.0.0.1:$port/health" | grep -Eq '^(200|503)$'; then
    break
  fi
  port=
  sleep 0.1
done
[[ -n "$port" ]] || {
  cat "$work/serve.log" >&2
  fail "the installed server did not answer GET /health within 30 s"
}
grep -q '"status"' "$work/health.json" || fail "GET /health: $(cat "$work/health.json")"
echo "GET /health on port $port: $(head -c 200 "$work/health.json")"
# The documentation pages come from the installed share/ops-db-api/web, found beside the binary.
docs_status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/docs")
[[ "$docs_status" == 200 ]] || fail "GET /docs from the installed layout answered $docs_status"

kill -TERM "$server_pid"
for _ in $(seq 300); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "the server did not stop within 30 s of SIGTERM"
status=0
wait "$server_pid" || status=$?
server_pid=
[[ $status -eq 0 ]] || {
  cat "$work/serve.log" >&2
  fail "the server exited with $status after SIGTERM"
}

echo "== systemd-analyze verify"
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze not found: the unit is not verified here"
  exit 0
fi
# Warnings about other units (this host's, or a container without systemd running) are not
# ours; anything naming this unit fails the test.
(cd "$work" && systemd-analyze verify "$unit") >"$work/verify.log" 2>&1 || true
cat "$work/verify.log"
if grep -q 'ops-db-api' "$work/verify.log"; then
  fail "systemd-analyze verify complains about the unit"
fi
echo "PASS"
