#!/bin/bash
# Entrypoint of an observatory's local replica (docker/compose.yaml, service observatory-db),
# on the official PostgreSQL image. When the data volume is empty, it clones the main database
# with pg_basebackup through this observatory's replication slot (-S, made by primary-init.sh)
# and writes the standby settings (-R: standby.signal and primary_conninfo); then it hands over
# to the image's entrypoint, which finds an initialised data directory and starts PostgreSQL as
# a hot standby streaming from the main database.
#   PRIMARY_HOST, PRIMARY_PORT                   the main database
#   REPLICATION_USER, REPLICATION_PASSWORD       its replication role
#   REPLICATION_SLOT                             this observatory's slot there
# To clone again (say the main database was re-created), remove the replica's data volume.
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${PRIMARY_HOST:?}" "${PRIMARY_PORT:=5432}"
: "${REPLICATION_USER:?}" "${REPLICATION_PASSWORD:?}" "${REPLICATION_SLOT:?}"

# Written after a clone completed: a clone cut short (the container stopped during it) starts
# over from an empty directory. PostgreSQL ignores the file.
done_marker="$PGDATA/ops-db-api-clone-complete"

if [[ ! -e "$done_marker" ]]; then
  mkdir -p "$PGDATA"
  find "$PGDATA" -mindepth 1 -delete
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  echo "replica: waiting for the main database at $PRIMARY_HOST:$PRIMARY_PORT"
  until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT"; do sleep 2; done
  echo "replica: cloning the main database through slot $REPLICATION_SLOT"
  gosu postgres env PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
    -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -w \
    -D "$PGDATA" -R -X stream -S "$REPLICATION_SLOT" -c fast --progress
  gosu postgres touch "$done_marker"
  echo "replica: clone complete"
fi

exec docker-entrypoint.sh "$@"
