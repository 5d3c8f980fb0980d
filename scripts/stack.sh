#!/usr/bin/env bash
# Local service stack for development, tests and CI, all on 127.0.0.1:
#   main    PostgreSQL 15 primary ("main DB")
#   replica streaming replica of main, made with pg_basebackup ("local replica")
#   redis   Redis with an append-only file (the write buffer)
#
# Usage: scripts/stack.sh COMMAND
#   start | stop | restart | status | env | destroy
#   start-main | stop-main | restart-main      (likewise -replica, -redis)
#   psql main|local [psql args]                 (as the application role)
#
# Knobs (environment): STACK_DIR (default <repo>/.stack), MAIN_DB_PORT (25432),
# LOCAL_DB_PORT (25433), REDIS_PORT (26379), OPS_DB_USER (ops), OPS_DB_PASSWORD,
# OPS_DB_NAME (ops_db), REDIS_PASSWORD (unset = no auth), SITE_NAME (observatory),
# REDIS_MAXMEMORY (2gb: Redis's maxmemory, see config/redis.conf for how to size it).
#
# Daemons are stopped only by the PIDs in their own pid files, never by name.
set -euo pipefail
umask 022

# The daemons started here must not inherit what the caller had open (a test runner's lock or
# pipe): they would hold it for their whole life. 255 is bash's handle on this script.
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  if ((fd > 2 && fd != 255)); then eval "exec ${fd}>&-"; fi
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

STACK_DIR=${STACK_DIR:-$repo/.stack}
[[ "$STACK_DIR" == /* ]] || STACK_DIR=$PWD/$STACK_DIR
STACK_DIR=${STACK_DIR%/}
# Default ports lie below Linux's ephemeral range (32768-60999): while a fault test has a
# server stopped, an outgoing connection could otherwise take its port and block the restart.
MAIN_DB_PORT=${MAIN_DB_PORT:-25432}
LOCAL_DB_PORT=${LOCAL_DB_PORT:-25433}
REDIS_PORT=${REDIS_PORT:-26379}
OPS_DB_USER=${OPS_DB_USER:-ops}
OPS_DB_PASSWORD=${OPS_DB_PASSWORD:-ops-dev-password}
OPS_DB_NAME=${OPS_DB_NAME:-ops_db}
REDIS_PASSWORD=${REDIS_PASSWORD:-}
REDIS_MAXMEMORY=${REDIS_MAXMEMORY:-2gb}
SITE_NAME=${SITE_NAME:-observatory}
# The replica streams over TCP like a real remote site, so the fault tests' blackhole
# on the main port also cuts replication.
REPL_USER=${STACK_REPLICATION_USER:-ops_replicator}
REPL_PASSWORD=${STACK_REPLICATION_PASSWORD:-ops-replication-dev-password}
REPL_SLOT=ops_replica_slot
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

die() { echo "stack: $*" >&2; exit 1; }
say() { echo "stack: $*"; }

# --- where the files live --------------------------------------------------------------
# PostgreSQL and Redis run as the postgres/redis users (initdb refuses root), so every
# parent of their directories must be searchable by those users. A checkout under /root
# (mode 700) is not; Unix socket paths are also limited to ~107 bytes and the paths are
# written into config files unquoted. When STACK_DIR is unsuitable the data goes to
# /var/tmp/ops-db-stack-<hash of STACK_DIR> (persistent across reboots, unlike /tmp) and
# STACK_DIR/run-dir is a symlink to it. The choice is remembered by what exists on disk.
traversable_by() { (cd / && runuser -u "$1" -- test -x "$2") 2>/dev/null; }

resolve_run_dir() {
  if [[ -L "$STACK_DIR/run-dir" ]]; then
    RUN_DIR=$(readlink "$STACK_DIR/run-dir")
    return
  fi
  if [[ -d "$STACK_DIR/pg" || -d "$STACK_DIR/redis" ]] || ((EUID != 0)); then
    RUN_DIR=$STACK_DIR
    return
  fi
  local probe=$STACK_DIR
  while [[ ! -d "$probe" ]]; do probe=$(dirname "$probe"); done
  if [[ "$STACK_DIR" =~ ^[A-Za-z0-9_./-]+$ ]] && ((${#STACK_DIR} <= 70)) &&
    traversable_by postgres "$probe" && traversable_by redis "$probe"; then
    RUN_DIR=$STACK_DIR
  else
    RUN_DIR=/var/tmp/ops-db-stack-$(printf %s "$STACK_DIR" | sha256sum | cut -c1-12)
  fi
}
resolve_run_dir

PG_DIR=$RUN_DIR/pg
SOCK_DIR=$PG_DIR/sock
REDIS_DIR=$RUN_DIR/redis
REDIS_PIDFILE=$REDIS_DIR/redis.pid

pg_data() { echo "$PG_DIR/$1"; }
pg_port() { if [[ $1 == main ]]; then echo "$MAIN_DB_PORT"; else echo "$LOCAL_DB_PORT"; fi; }
pg_log() { echo "$PG_DIR/$1.log"; }

prepare_dirs() {
  mkdir -p "$STACK_DIR"
  if [[ "$RUN_DIR" != "$STACK_DIR" ]]; then
    install -d -m 0755 "$RUN_DIR"
    ln -sfn "$RUN_DIR" "$STACK_DIR/run-dir"
  fi
  install -d -o postgres -g postgres -m 0750 "$PG_DIR" "$SOCK_DIR"
  install -d -o redis -g redis -m 0750 "$REDIS_DIR"
}

# Serialise commands that change the stack (tests may call stop-main/start-main).
# Daemons must not inherit the lock's descriptor, hence 9>&- where they are launched.
take_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  flock 9
}

require_root() { ((EUID == 0)) || die "must run as root (daemons run as the postgres/redis users)"; }

# Tools must not depend on the caller's working directory (it may be unreadable to them).
as_postgres() { (cd / && runuser -u postgres -- "$@") 9>&-; }
as_redis() { (cd / && runuser -u redis -- "$@") 9>&-; }

# --- processes -------------------------------------------------------------------------
# Alive = known to ps and not a zombie: an exited daemon is reparented to init and can
# stay <defunct> for a few seconds, which `kill -0` would count as running.
pid_alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null | tr -d ' ') || true
  [[ -n "$st" && "$st" != Z* ]]
}
pid_stopped() { [[ $(ps -o stat= -p "$1" 2>/dev/null | tr -d ' ') == T* ]]; }
pid_comm() { ps -o comm= -p "$1" 2>/dev/null | tr -d ' ' || true; }

# PID from a pid file, only if that process is alive and is the expected program
# (a stale file's PID may have been reused by something else).
pid_from_file() {
  local file=$1 comm=$2 pid
  [[ -r "$file" ]] || return 1
  pid=$(head -n1 "$file" 2>/dev/null | tr -d ' ') || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" && [[ $(pid_comm "$pid") == "$comm" ]] || return 1
  echo "$pid"
}
pg_pid() { pid_from_file "$(pg_data "$1")/postmaster.pid" postgres; }
redis_pid() { pid_from_file "$REDIS_PIDFILE" redis-server; }

wait_gone() {
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# The fault tests SIGSTOP a postmaster and its children; a stopped process cannot act
# on a shutdown signal, so continue the whole tree first.
continue_tree() {
  local pid=$1 child
  kill -CONT "$pid" 2>/dev/null || true
  for child in $(ps --ppid "$pid" -o pid= 2>/dev/null); do
    kill -CONT "$child" 2>/dev/null || true
  done
}

# SIGNAL, wait, then escalate; used for both daemons.
terminate() {
  local name=$1 pid=$2 sig=$3
  continue_tree "$pid"
  kill "-$sig" "$pid" 2>/dev/null || true
  wait_gone "$pid" 60 && return 0
  say "$name (pid $pid) ignored SIG$sig for 60 s, sending SIGQUIT"
  kill -QUIT "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 && return 0
  say "$name (pid $pid) still alive, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || die "$name (pid $pid) does not exit"
}

# --- PostgreSQL ------------------------------------------------------------------------
psql_su() {
  local port=$1
  shift
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$port" -U postgres -d postgres "$@"
}

system_id() {
  "$PG_BIN/pg_controldata" -D "$1" 2>/dev/null | awk -F: '/^Database system identifier/ { gsub(/ /, "", $2); print $2 }'
}

# Settings are regenerated on every start so port changes take effect.
write_pg_conf() {
  local which=$1 data tpl conf
  data=$(pg_data "$which")
  tpl=$(<"$repo/config/stack-postgresql.conf")
  conf=${tpl//@PORT@/$(pg_port "$which")}
  conf=${conf//@SOCKET_DIR@/$SOCK_DIR}
  if [[ $which == replica ]]; then
    # Kept here instead of in the postgresql.auto.conf written by pg_basebackup -R,
    # so a changed MAIN_DB_PORT reaches the replica too.
    conf+=$'\n'"primary_conninfo = 'host=127.0.0.1 port=$MAIN_DB_PORT user=$REPL_USER passfile=$PG_DIR/pgpass application_name=ops_local_replica connect_timeout=2'"
    conf+=$'\n'"primary_slot_name = '$REPL_SLOT'"$'\n'
  fi
  printf '%s\n' "$conf" >"$data/stack.conf"
  chown postgres:postgres "$data/stack.conf"
  # Password file for replication connections (pg_basebackup and the wal receiver).
  printf '127.0.0.1:%s:replication:%s:%s\n' "$MAIN_DB_PORT" "$REPL_USER" "$REPL_PASSWORD" >"$PG_DIR/pgpass"
  chown postgres:postgres "$PG_DIR/pgpass"
  chmod 0600 "$PG_DIR/pgpass"
}

init_main() {
  local data
  data=$(pg_data main)
  [[ -f "$data/PG_VERSION" ]] && return 0
  rm -rf "$data"
  say "initdb main in $data"
  # --no-sync plus one syncfs() (sync -f) afterwards: the same guarantee as initdb's
  # fsync() per file, but seconds faster on a busy disk.
  as_postgres "$PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-instructions --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  # initdb's pg_hba.conf already has `host replication all 127.0.0.1/32 scram-sha-256`.
  printf "\n# Settings of the local stack, generated by scripts/stack.sh on every start\ninclude 'stack.conf'\n" \
    >>"$data/postgresql.conf"
  sync -f "$data"
}

start_pg() {
  local which=$1 data pid log i
  data=$(pg_data "$which")
  log=$(pg_log "$which")
  if pid=$(pg_pid "$which"); then
    pid_stopped "$pid" && say "$which is running but paused (pid $pid); resume it with scripts/fault.sh"
    say "$which already running (pid $pid)"
    return 0
  fi
  [[ -f "$data/PG_VERSION" ]] || die "$which has no data directory ($data)"
  write_pg_conf "$which"
  # After a crash (SIGKILL) the old postmaster can linger as a zombie for a few seconds,
  # and PostgreSQL treats its PID in the socket lock file as a live server; wait it out.
  if [[ -r "$data/postmaster.pid" ]]; then
    pid=$(head -n1 "$data/postmaster.pid" | tr -d ' ')
    if [[ "$pid" =~ ^[0-9]+$ && $(pid_comm "$pid") == postgres ]]; then
      for ((i = 0; i < 150; i++)); do
        [[ -n $(ps -o stat= -p "$pid" 2>/dev/null) ]] || break
        sleep 0.1
      done
    fi
  fi
  # No live postgres owns it (checked above); a leftover would make startup refuse.
  rm -f "$data/postmaster.pid"
  touch "$log" && chown postgres:postgres "$log"
  # Orphaned backends of a crashed postmaster still hold its shared memory for a moment
  # ("pre-existing shared memory block is still in use"); a few retries cover that.
  for ((i = 1; ; i++)); do
    as_postgres "$PG_BIN/pg_ctl" start -D "$data" -l "$log" -w -t 120 -s && break
    if ((i == 5)); then
      tail -n 30 "$log" >&2
      die "$which failed to start (log: $log)"
    fi
    sleep 1
  done
  say "$which up on 127.0.0.1:$(pg_port "$which") (pid $(pg_pid "$which"))"
}

stop_pg() {
  local which=$1 pid
  if ! pid=$(pg_pid "$which"); then
    say "$which not running"
    return 0
  fi
  # SIGINT = fast shutdown: roll back sessions, checkpoint, exit (what pg_ctl -m fast sends).
  terminate "$which" "$pid" INT
  say "$which stopped"
}

ensure_roles() {
  psql_su "$MAIN_DB_PORT" -v user="$OPS_DB_USER" -v pw="$OPS_DB_PASSWORD" -v db="$OPS_DB_NAME" \
    -v repl="$REPL_USER" -v replpw="$REPL_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'user', :'pw') \gexec
SELECT format('CREATE ROLE %I REPLICATION LOGIN', :'repl')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'repl') \gexec
SELECT format('ALTER ROLE %I WITH REPLICATION LOGIN PASSWORD %L', :'repl', :'replpw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
}

start_main() {
  init_main
  start_pg main
  ensure_roles
}

init_replica() {
  local data main_id
  data=$(pg_data replica)
  main_id=$(system_id "$(pg_data main)")
  if [[ -f "$data/PG_VERSION" ]]; then
    # A replica cloned from an earlier incarnation of main can never stream from it.
    [[ $(system_id "$data") == "$main_id" ]] && return 0
    say "replica was cloned from another primary; recloning"
    stop_pg replica
  fi
  rm -rf "$data"
  pg_pid main >/dev/null || die "main must be running to clone the replica"
  write_pg_conf main
  # A slot left behind by a deleted replica would make `pg_basebackup -C` fail.
  psql_su "$MAIN_DB_PORT" -v slot="$REPL_SLOT" >/dev/null <<'SQL'
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
  WHERE slot_name = :'slot' AND NOT active;
SQL
  say "cloning replica from main (pg_basebackup)"
  # --no-sync: the replica's first start syncs its data directory anyway (crash recovery).
  as_postgres env PGPASSFILE="$PG_DIR/pgpass" "$PG_BIN/pg_basebackup" \
    -h 127.0.0.1 -p "$MAIN_DB_PORT" -U "$REPL_USER" -w -D "$data" \
    -R -X stream -C -S "$REPL_SLOT" -c fast --no-sync >"$PG_DIR/basebackup.log" 2>&1 ||
    { cat "$PG_DIR/basebackup.log" >&2; die "pg_basebackup failed"; }
  # -R wrote standby.signal plus a connection string; the latter lives in stack.conf.
  sed -i -e '/^primary_conninfo/d' -e '/^primary_slot_name/d' "$data/postgresql.auto.conf"
}

start_replica() {
  init_replica
  start_pg replica
}

replica_status() {
  psql_su "$LOCAL_DB_PORT" -At -c "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null || true
}

wait_streaming() {
  local i
  for ((i = 0; i < 300; i++)); do
    [[ $(replica_status) == streaming ]] && { say "replica streaming from main"; return 0; }
    sleep 0.1
  done
  tail -n 20 "$(pg_log replica)" >&2
  die "replica not streaming after 30 s"
}

# --- Redis -----------------------------------------------------------------------------
redis_cli() {
  if [[ -n "$REDIS_PASSWORD" ]]; then
    REDISCLI_AUTH=$REDIS_PASSWORD timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  else
    timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  fi
}

start_redis() {
  local pid tpl conf i
  if pid=$(redis_pid); then
    say "redis already running (pid $pid)"
    return 0
  fi
  tpl=$(<"$repo/config/redis.conf")
  conf=${tpl//@PORT@/$REDIS_PORT}
  conf=${conf//@DIR@/$REDIS_DIR}
  conf=${conf//@PIDFILE@/$REDIS_PIDFILE}
  conf=${conf//@LOGFILE@/$REDIS_DIR/redis.log}
  [[ "$REDIS_MAXMEMORY" =~ ^[0-9]+([kKmMgG][bB]?)?$ ]] || die "bad REDIS_MAXMEMORY '$REDIS_MAXMEMORY' (e.g. 2gb)"
  conf=${conf//@MAXMEMORY@/$REDIS_MAXMEMORY}
  if [[ -n "$REDIS_PASSWORD" ]]; then
    conf+=$'\n'"requirepass \"${REDIS_PASSWORD//\"/\\\"}\""
  fi
  printf '%s\n' "$conf" >"$REDIS_DIR/redis.conf"
  chown redis:redis "$REDIS_DIR/redis.conf"
  chmod 0640 "$REDIS_DIR/redis.conf"
  rm -f "$REDIS_PIDFILE"
  as_redis redis-server "$REDIS_DIR/redis.conf" || die "redis-server failed (log: $REDIS_DIR/redis.log)"
  for ((i = 0; i < 300; i++)); do
    if [[ $(redis_cli ping 2>/dev/null) == PONG ]]; then
      say "redis up on 127.0.0.1:$REDIS_PORT (pid $(redis_pid || echo '?'))"
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$REDIS_DIR/redis.log" >&2
  die "redis not answering after 30 s"
}

stop_redis() {
  local pid
  if ! pid=$(redis_pid); then
    say "redis not running"
    return 0
  fi
  # SIGTERM: redis flushes and fsyncs the append-only file, then exits.
  terminate redis "$pid" TERM
  say "redis stopped"
}

# --- commands --------------------------------------------------------------------------
cmd_status() {
  local ok=0 pid state
  if pid=$(pg_pid main); then
    if pid_stopped "$pid"; then
      state="paused (SIGSTOP)"; ok=1
    elif "$PG_BIN/pg_isready" -q -U postgres -d postgres -h "$SOCK_DIR" -p "$MAIN_DB_PORT" -t 2; then
      state="up"
    else
      state="not accepting connections"; ok=1
    fi
    printf '%-8s %-30s pid %-8s 127.0.0.1:%s\n' main "$state" "$pid" "$MAIN_DB_PORT"
  else
    printf '%-8s %s\n' main down; ok=1
  fi
  if pid=$(pg_pid replica); then
    if pid_stopped "$pid"; then
      state="paused (SIGSTOP)"; ok=1
    elif "$PG_BIN/pg_isready" -q -U postgres -d postgres -h "$SOCK_DIR" -p "$LOCAL_DB_PORT" -t 2; then
      state="up, wal receiver: $(replica_status)"
      [[ $state == *streaming ]] || state="up, wal receiver: not streaming"
    else
      state="not accepting connections"; ok=1
    fi
    printf '%-8s %-30s pid %-8s 127.0.0.1:%s\n' replica "$state" "$pid" "$LOCAL_DB_PORT"
  else
    printf '%-8s %s\n' replica down; ok=1
  fi
  if pid=$(redis_pid); then
    if [[ $(redis_cli ping 2>/dev/null) == PONG ]]; then state=up; else state="not answering"; ok=1; fi
    printf '%-8s %-30s pid %-8s 127.0.0.1:%s\n' redis "$state" "$pid" "$REDIS_PORT"
  else
    printf '%-8s %s\n' redis down; ok=1
  fi
  [[ "$RUN_DIR" == "$STACK_DIR" ]] || echo "data in $RUN_DIR"
  return $ok
}

cmd_env() {
  q() { printf 'export %s=%q\n' "$1" "$2"; }
  q SITE_NAME "$SITE_NAME"
  q MAIN_DB_HOST 127.0.0.1
  q MAIN_DB_PORT "$MAIN_DB_PORT"
  q MAIN_DB_USER "$OPS_DB_USER"
  q MAIN_DB_PASSWORD "$OPS_DB_PASSWORD"
  q MAIN_DB_NAME "$OPS_DB_NAME"
  q LOCAL_DB_HOST 127.0.0.1
  q LOCAL_DB_PORT "$LOCAL_DB_PORT"
  q LOCAL_DB_USER "$OPS_DB_USER"
  q LOCAL_DB_PASSWORD "$OPS_DB_PASSWORD"
  q LOCAL_DB_NAME "$OPS_DB_NAME"
  q REDIS_HOST 127.0.0.1
  q REDIS_PORT "$REDIS_PORT"
  [[ -z "$REDIS_PASSWORD" ]] || q REDIS_PASSWORD "$REDIS_PASSWORD"
  q STACK_DIR "$STACK_DIR"
  q STACK_MAIN_PID_FILE "$(pg_data main)/postmaster.pid"
  q STACK_REPLICA_PID_FILE "$(pg_data replica)/postmaster.pid"
  q STACK_REDIS_PID_FILE "$REDIS_PIDFILE"
  # Superuser access for tests: psql -h "$STACK_PG_SOCKET_DIR" -p PORT -U postgres
  q STACK_PG_SOCKET_DIR "$SOCK_DIR"
}

cmd_start() {
  local t0=$SECONDS
  start_redis
  start_main
  start_replica
  wait_streaming
  say "stack up in $((SECONDS - t0)) s ($RUN_DIR)"
}

cmd_stop() {
  stop_pg replica
  stop_pg main
  stop_redis
}

cmd_destroy() {
  cmd_stop
  # Only what this script created; never a blind rm -rf of STACK_DIR.
  rm -rf "$PG_DIR" "$REDIS_DIR"
  if [[ "$RUN_DIR" != "$STACK_DIR" ]]; then
    rmdir "$RUN_DIR" 2>/dev/null || true
    rm -f "$STACK_DIR/run-dir"
  fi
  rm -f "$STACK_DIR/.lock"
  rmdir "$STACK_DIR" 2>/dev/null || true
  say "destroyed"
}

cmd_psql() {
  local port
  case "${1:-}" in
  main) port=$MAIN_DB_PORT ;;
  local | replica) port=$LOCAL_DB_PORT ;;
  *) die "usage: stack.sh psql main|local [psql args]" ;;
  esac
  shift
  PGPASSWORD=$OPS_DB_PASSWORD exec "$PG_BIN/psql" -X -h 127.0.0.1 -p "$port" -U "$OPS_DB_USER" -d "$OPS_DB_NAME" "$@"
}

mutate() {
  require_root
  take_lock
  prepare_dirs
  "$@"
}

case "${1:-}" in
start) mutate cmd_start ;;
stop) mutate cmd_stop ;;
restart) mutate cmd_stop && mutate cmd_start ;;
status) cmd_status ;;
env) cmd_env ;;
destroy) mutate cmd_destroy ;;
start-main) mutate start_main ;;
stop-main) mutate stop_pg main ;;
restart-main) mutate stop_pg main && mutate start_main ;;
start-replica) mutate start_replica ;;
stop-replica) mutate stop_pg replica ;;
restart-replica) mutate stop_pg replica && mutate start_replica ;;
start-redis) mutate start_redis ;;
stop-redis) mutate stop_redis ;;
restart-redis) mutate stop_redis && mutate start_redis ;;
psql) shift && cmd_psql "$@" ;;
*)
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
