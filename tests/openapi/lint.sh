#!/usr/bin/env bash
# Usage: lint.sh OPS_DB_API REDOCLY REDOCLY_CONFIG OUT_DIR
# Writes the OpenAPI document of each site type and lints it with Redocly's recommended rules:
# any error or warning fails.
set -euo pipefail
binary=$1 redocly=$2 config=$3 out=$4

if [[ ! -x $redocly ]]; then
  echo "openapi.lint: $redocly is missing: run 'npm ci' in web/ (scripts/setup.sh does)" >&2
  exit 1
fi
# No telemetry, no update check: the test needs no network.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1

# The commands read .env in the working directory: run them where there is none.
cd "$out"
status=0
for site in main secondary; do
  document=$out/openapi-$site.json
  "$binary" openapi --site "$site" >"$document"
  echo "== $site: $document"
  # Warnings do not change Redocly's exit status: they fail this test too.
  if ! report=$("$redocly" lint --config "$config" --extends=recommended --max-problems=1000 \
      --format=stylish "$document" 2>&1); then
    status=1
  fi
  echo "$report"
  if grep -Eq '^ +[0-9]+:[0-9]+ +warning' <<<"$report"; then
    echo "openapi.lint: the $site document has warnings" >&2
    status=1
  fi
done
exit $status
