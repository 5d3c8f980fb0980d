#!/bin/bash
# Initialisation of the main database (docker/compose.yaml, service main-db). The official
# PostgreSQL image runs this once, from /docker-entrypoint-initdb.d, when the data volume is
# empty; PostgreSQL restarts afterwards with the pg_hba.conf written here.
#   OPS_DB_USER, OPS_DB_PASSWORD, OPS_DB_NAME     the API's role and database (owner)
#   REPLICATION_USER, REPLICATION_PASSWORD        the role the observatories' replicas use
#   REPLICATION_SLOTS                             one physical slot per observatory, comma-separated
set -euo pipefail

: "${OPS_DB_USER:?}" "${OPS_DB_PASSWORD:?}" "${OPS_DB_NAME:?}"
: "${REPLICATION_USER:?}" "${REPLICATION_PASSWORD:?}" "${REPLICATION_SLOTS:?}"

sql() {
  psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres "$@"
}

sql -v user="$OPS_DB_USER" -v pw="$OPS_DB_PASSWORD" -v db="$OPS_DB_NAME" \
  -v repl="$REPLICATION_USER" -v replpw="$REPLICATION_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'user', :'pw') \gexec
SELECT format('CREATE ROLE %I REPLICATION LOGIN PASSWORD %L', :'repl', :'replpw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user') \gexec
SQL

# A slot made now, reserving WAL at once (second argument), keeps every WAL segment an
# observatory has not received yet, so its replica can be cloned or catch up whenever its link
# comes back (bounded by max_slot_wal_keep_size in compose.yaml).
for slot in ${REPLICATION_SLOTS//,/ }; do
  sql -v slot="$slot" <<'SQL'
SELECT pg_create_physical_replication_slot(:'slot', true);
SQL
done

# The image's own rule (`host all all all scram-sha-256`) does not cover replication
# connections.
echo "host replication $REPLICATION_USER all scram-sha-256" >>"$PGDATA/pg_hba.conf"
