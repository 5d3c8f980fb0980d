#!/usr/bin/env bash
# The project's benchmark (DESIGN §12): one command that builds (Release, into build-bench/),
# brings up the local stack if it is not up, measures, and prints a table of measured values
# and ratios against the targets and against baselines measured in the same run.
#
# Usage: bench/run.sh            (as root, from anywhere; takes ~4-6 minutes)
#
# Knobs (environment):
#   STACK_DIR MAIN_DB_PORT LOCAL_DB_PORT REDIS_PORT   the stack (scripts/stack.sh); defaults:
#       /var/tmp/ops-db-bench-stack, 25732, 25733, 26679 (not the dev stack's)
#   BENCH_API_PORT (18480) BENCH_HELLO_PORT (18481) BENCH_PROXY_PORT (18432)
#   BENCH_DURATION (10)        seconds of each wrk latency/throughput run
#   BENCH_DRAIN_N (20000)      writes buffered for the 0 ms drain run
#   BENCH_DRAIN_N_DELAYED (5000)  writes buffered for the drain run through the proxy
#   BENCH_BACKLOG_N (200000)   backlog for the health/buffer-stats latency run
#   BENCH_READS_N (100000)     buffered observations (over 1,000 obs units) for the read run
#   BENCH_READS_N_LARGE (1000000)  the same buffer grown to this size for the second read run
#                              (0 skips it)
#   BENCH_DELAY_MS (100)       delay the proxy adds each way
#   BENCH_LOG_LEVEL (info)     LOG_LEVEL of the API server (info = the production default,
#                              one access-log line per request)
#   HTTP_THREADS (2)           threads of the API server and of the hello server
#   BENCH_NICE (-19)           priority of this script and all it runs (server, wrk, proxy) and,
#                              for the duration of the run, of the stack's Redis and main
#                              PostgreSQL; restored at the end. With the kernel's autogroup
#                              scheduling (Debian's default) niceness only counts inside a session,
#                              so the autogroup's nice (/proc/PID/autogroup) is set too. Other load
#                              on the machine (builds) then barely disturbs the figures; the load
#                              is still reported. 0 = leave priorities alone.
#   BENCH_SKIP_BUILD=1         use the binaries already in build-bench/
#   BENCH_KEEP_STACK=1         leave a stack that this script started running at the end
#
# Everything listens on 127.0.0.1. Every process this script starts is stopped by its PID at the
# end, also on failure or Ctrl-C; the main database is started again if the script stopped it.
# Results and logs: build-bench/bench-results/<UTC timestamp>/ (results.md is the table).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

NICE=${BENCH_NICE:--19}

export STACK_DIR=${STACK_DIR:-/var/tmp/ops-db-bench-stack}
export MAIN_DB_PORT=${MAIN_DB_PORT:-25732}
export LOCAL_DB_PORT=${LOCAL_DB_PORT:-25733}
export REDIS_PORT=${REDIS_PORT:-26679}
# The read runs buffer 1,000,000 writes (≈ 3.5 GB of Redis): more than the dev stack's limit.
export REDIS_MAXMEMORY=${REDIS_MAXMEMORY:-8gb}
API_PORT=${BENCH_API_PORT:-18480}
HELLO_PORT=${BENCH_HELLO_PORT:-18481}
PROXY_PORT=${BENCH_PROXY_PORT:-18432}
DURATION=${BENCH_DURATION:-10}
DRAIN_N=${BENCH_DRAIN_N:-20000}
DRAIN_N_DELAYED=${BENCH_DRAIN_N_DELAYED:-5000}
BACKLOG_N=${BENCH_BACKLOG_N:-200000}
READS_N=${BENCH_READS_N:-100000}
READS_N_LARGE=${BENCH_READS_N_LARGE:-1000000}
# Obs units the read run creates (as copies of the demo's first) and spreads observations over.
READS_UNITS=1001-2000
READS_UNIT=1500
DELAY_MS=${BENCH_DELAY_MS:-100}
LOG_LEVEL_API=${BENCH_LOG_LEVEL:-info}
THREADS=${HTTP_THREADS:-2}
SITE=bench
BODY='{"obs_unit_id": 1}'
WRITE_PATH=/executed_obs_units/start

BUILD=$repo/build-bench
BIN=$BUILD/ops-db-api
HELLO=$BUILD/bench/hello_server
OUT=$BUILD/bench-results/$(date -u +%Y%m%dT%H%M%SZ)
PY=/usr/bin/python3
# Signs the JWTs of the authentication runs; the API server gets it as SECRET_KEY.
BENCH_SECRET=bench-secret-of-at-least-thirty-two-bytes
[[ -x $PY ]] || PY=python3

say() { printf '\n== %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }
die() {
  echo "bench: $*" >&2
  exit 1
}

# --- bookkeeping of what we started, and the cleanup that undoes it ------------------------
declare -a STARTED=()  # PIDs of processes started by this script
STACK_STARTED=0        # this script started the stack
MAIN_STOPPED=0         # this script stopped the main database
BLACKHOLED=0           # this script blackholed the main database port
declare -a BOOSTED=()  # "pid niceness autogroup-niceness" to restore at the end
declare -A R=()        # results

forget_pid() {
  local p keep=()
  for p in "${STARTED[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  STARTED=("${keep[@]}")
}

# SIGTERM, wait up to 30 s, then SIGKILL: only the given PID.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || { forget_pid "$pid"; wait "$pid" 2>/dev/null || true; return 0; }
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    # A child of ours that exited is reaped by wait; until then kill -0 still succeeds.
    [[ $(ps -o stat= -p "$pid" 2>/dev/null) == Z* ]] && break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]]; then
    echo "bench: pid $pid ignored SIGTERM for 30 s; SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

redis_cli() {
  if [[ -n ${REDIS_PASSWORD:-} ]]; then
    REDISCLI_AUTH=$REDIS_PASSWORD timeout 60 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  else
    timeout 60 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  fi
}

# Deletes every key of the bench site (the buffer, statuses, caches, the drain lease).
clean_keys() {
  local n
  n=$(redis_cli --scan --pattern "site:$SITE:*" | wc -l)
  redis_cli --scan --pattern "site:$SITE:*" | timeout 300 xargs -r -n 5000 \
    bash -c 'if [[ -n ${REDIS_PASSWORD:-} ]]; then export REDISCLI_AUTH=$REDIS_PASSWORD; fi
             redis-cli -h 127.0.0.1 -p '"$REDIS_PORT"' unlink "$@" >/dev/null' _
  note "deleted $n key(s) site:$SITE:*"
}

start_main() {
  local i
  # The main port is in the ephemeral range: while main was down an outgoing connection may have
  # used it as its local port and left it in TIME_WAIT (60 s). Retry for a while.
  for ((i = 1; i <= 8; i++)); do
    if scripts/stack.sh start-main >>"$OUT/stack.log" 2>&1; then
      MAIN_STOPPED=0
      boost_main
      return 0
    fi
    note "start-main failed (attempt $i; port busy?), retrying in 10 s"
    sleep 10
  done
  die "the main database does not start (see $OUT/stack.log)"
}

stop_main() {
  scripts/stack.sh stop-main >>"$OUT/stack.log" 2>&1 || die "stop-main failed (see $OUT/stack.log)"
  MAIN_STOPPED=1
}

# --- priorities ------------------------------------------------------------------------------
autogroup_nice() { sed -n 's/.* nice \(-\{0,1\}[0-9]*\).*/\1/p' "/proc/$1/autogroup" 2>/dev/null; }

# boost PID [more PIDs]: the process(es) and the autogroup of the first get niceness $NICE; the
# previous values are remembered for restore_priorities.
boost() {
  [[ $NICE != 0 ]] || return 0
  local pid ni ag
  for pid in "$@"; do
    [[ $pid =~ ^[0-9]+$ ]] || continue
    ni=$(ps -o ni= -p "$pid" 2>/dev/null | tr -d ' ') || continue
    ag=$(autogroup_nice "$pid")
    BOOSTED+=("$pid ${ni:-0} ${ag:--}")
    renice -n "$NICE" -p "$pid" >/dev/null 2>&1 || true
    [[ -n $ag ]] && { echo "$NICE" >"/proc/$pid/autogroup"; } 2>/dev/null || true
  done
}

# The main postmaster runs in a session (autogroup) of its own; new backends inherit its nice.
boost_main() {
  local pm
  pm=$(head -n1 "${STACK_MAIN_PID_FILE:-/nonexistent}" 2>/dev/null || true)
  # shellcheck disable=SC2046
  [[ $pm =~ ^[0-9]+$ ]] && boost "$pm" $(ps -o pid= --ppid "$pm")
  return 0
}

# Back to what they were, newest first (a process that has gone away is skipped).
restore_priorities() {
  local i pid ni ag
  for ((i = ${#BOOSTED[@]} - 1; i >= 0; i--)); do
    read -r pid ni ag <<<"${BOOSTED[$i]}"
    kill -0 "$pid" 2>/dev/null || continue
    renice -n "$ni" -p "$pid" >/dev/null 2>&1 || true
    [[ $ag != - ]] && { echo "$ag" >"/proc/$pid/autogroup"; } 2>/dev/null || true
  done
  BOOSTED=()
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  set +e
  if ((${#STARTED[@]})); then
    echo "bench: stopping the processes started here: ${STARTED[*]}" >&2
    for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
  fi
  if ((BLACKHOLED)); then
    scripts/fault.sh unblackhole "$MAIN_DB_PORT" >>"$OUT/stack.log" 2>&1
  fi
  if ((MAIN_STOPPED)); then
    echo "bench: starting the main database again" >&2
    start_main
  fi
  if [[ -n ${REDIS_PORT:-} ]] && redis_cli ping >/dev/null 2>&1; then
    [[ -z ${FSYNC_SHIPPED:-} ]] || redis_cli config set appendfsync "$FSYNC_SHIPPED" >/dev/null
    clean_keys >/dev/null
  fi
  restore_priorities
  if ((STACK_STARTED)) && [[ ${BENCH_KEEP_STACK:-0} != 1 ]]; then
    echo "bench: stopping the stack this run started" >&2
    scripts/stack.sh stop >>"$OUT/stack.log" 2>&1
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers -------------------------------------------------------------------------------
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

# Waits (bounded) until something answers HTTP on the port; fails if the process died.
wait_http() {
  local port=$1 pid=$2 i code
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || die "process $pid exited at start (see logs in $OUT)"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/health" || true)
    [[ $code != 000 ]] && return 0
    sleep 0.1
  done
  die "nothing answers on port $port after 15 s"
}

API_PID=
HELLO_PID=
# start_api NAME MAIN_PORT [VAR=value...]: the API server of a secondary site, run from $OUT so
# that no .env of the checkout applies.
start_api() {
  local name=$1 main_port=$2
  shift 2
  (cd "$OUT" && exec env SITE_TYPE=secondary SITE_NAME=$SITE HTTP_ADDRESS=127.0.0.1 \
    HTTP_PORT="$API_PORT" HTTP_THREADS="$THREADS" LOG_LEVEL="$LOG_LEVEL_API" \
    MAIN_DB_PORT="$main_port" SECRET_KEY="$BENCH_SECRET" "$@" "$BIN" serve) >"$OUT/api-$name.log" 2>&1 &
  API_PID=$!
  STARTED+=("$API_PID")
  wait_http "$API_PORT" "$API_PID"
}

stop_api() {
  [[ -n $API_PID ]] || return 0
  stop_pid "$API_PID"
  API_PID=
  clean_keys
}

pending() {
  curl -s --max-time 2 "http://127.0.0.1:$API_PORT/buffer-stats" |
    sed -n 's/.*"pending_transactions":\([0-9]*\).*/\1/p'
}

# CPU time (clock ticks) of a process, all threads.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Busy and total jiffies of the whole machine.
machine_ticks() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
HZ=$(getconf CLK_TCK)

# Per-thread time of the server: "tid name ns-on-cpu ns-runnable-but-waiting-for-a-cpu"
# (/proc/PID/task/TID/schedstat), for the bottleneck notes.
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s %s %s\n' "${t##*/}" "$(cat "$t/comm" 2>/dev/null)" "$(cut -d' ' -f1-2 "$t/schedstat" 2>/dev/null)"
  done
}

aof_rewrites() { redis_cli info persistence | tr -d '\r' | sed -n 's/^aof_rewrites://p'; }

field() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" "$1" | tail -n1; }

# run_wrk NAME THREADS CONNECTIONS SECONDS URL [VAR=value...]: wrk with bench/wrk.lua; records
# the BENCH line's fields as R[NAME.field] and the CPU share of server, wrk and redis.
run_wrk() {
  local name=$1 t=$2 c=$3 d=$4 url=$5 server_pid=${API_PID:-$HELLO_PID}
  shift 5
  local redis_pid s0 r0 m0 m1 w_pid w0=0 f key a0
  redis_pid=$(head -n1 "$STACK_REDIS_PID_FILE" 2>/dev/null || echo 0)
  a0=$(aof_rewrites)
  s0=$(cpu_ticks "$server_pid")
  r0=$(cpu_ticks "$redis_pid")
  m0=$(machine_ticks)
  thread_ticks "$server_pid" >"$OUT/$name.threads0"
  env "$@" timeout $((d + 30)) wrk -t"$t" -c"$c" -d"${d}s" --latency -s "$repo/bench/wrk.lua" \
    "$url" >"$OUT/$name.txt" 2>&1 &
  w_pid=$!
  STARTED+=("$w_pid")
  # wrk runs under timeout; its CPU time is sampled from /proc while it runs.
  local wrk_pid=
  while kill -0 "$w_pid" 2>/dev/null && [[ $(ps -o stat= -p "$w_pid" 2>/dev/null) != Z* ]]; do
    [[ -n $wrk_pid ]] || wrk_pid=$(ps -o pid= --ppid "$w_pid" | tr -d ' ' | head -n1)
    if [[ -n $wrk_pid ]]; then
      f=$(cpu_ticks "$wrk_pid")
      ((f > w0)) && w0=$f
    fi
    sleep 0.2
  done
  wait "$w_pid" || die "wrk $name failed (see $OUT/$name.txt)"
  forget_pid "$w_pid"
  m1=$(machine_ticks)
  thread_ticks "$server_pid" >"$OUT/$name.threads1"
  grep -q '^BENCH ' "$OUT/$name.txt" || die "wrk $name printed no result (see $OUT/$name.txt)"
  for key in requests seconds rps p50_us p90_us p99_us max_us mean_us non2xx sockerr; do
    R[$name.$key]=$(field "$OUT/$name.txt" "$key")
  done
  local secs=${R[$name.seconds]}
  R[$name.cpu_server]=$(awk -v a="$s0" -v b="$(cpu_ticks "$server_pid")" -v s="$secs" -v hz="$HZ" \
    'BEGIN { printf "%.0f", (b - a) / hz / s * 100 }')
  R[$name.cpu_redis]=$(awk -v a="$r0" -v b="$(cpu_ticks "$redis_pid")" -v s="$secs" -v hz="$HZ" \
    'BEGIN { printf "%.0f", (b - a) / hz / s * 100 }')
  R[$name.cpu_wrk]=$(awk -v b="$w0" -v s="$secs" -v hz="$HZ" 'BEGIN { printf "%.0f", b / hz / s * 100 }')
  R[$name.cpu_machine]=$(awk -v m0="$m0" -v m1="$m1" -v ncpu="$((100 * $(nproc)))" 'BEGIN {
    split(m0, a, " "); split(m1, b, " "); printf "%.0f", (b[1] - a[1]) / (b[2] - a[2]) * ncpu }')
  R[$name.aof_rewrites]=$(($(aof_rewrites) - a0))
  # Per-thread CPU of the server during the run and the time its threads were runnable but
  # found no free CPU (percent of the run); the busiest threads' waits summed in R[.runq].
  awk -v s="$secs" 'NR == FNR { r0[$1] = $3; w0[$1] = $4; next }
    ($1 in r0) { printf "  thread %s (%s): on CPU %.0f%%, waiting for a CPU %.0f%%\n", $1, $2,
                 ($3 - r0[$1]) / s / 1e7, ($4 - w0[$1]) / s / 1e7 }' \
    "$OUT/$name.threads0" "$OUT/$name.threads1" >"$OUT/$name.threads"
  R[$name.runq]=$(awk '{ gsub(/%,?/, ""); if ($6 + 0 >= 5) { n++; w += $11 } }
    END { printf "%.0f", n ? w / n : 0 }' "$OUT/$name.threads")
  rm -f "$OUT/$name.threads0" "$OUT/$name.threads1"
  note "$(printf '%-22s %9.0f req/s  p50 %7.1f us  p99 %8.1f us  non-2xx %s  socket errors %s' \
    "$name" "${R[$name.rps]}" "${R[$name.p50_us]}" "${R[$name.p99_us]}" "${R[$name.non2xx]}" \
    "${R[$name.sockerr]}")"
  note "$(printf '%-22s CPU %% of one core: server %s, wrk %s, redis %s; whole machine %s of '"$((100 * $(nproc)))" \
    "" "${R[$name.cpu_server]}" "${R[$name.cpu_wrk]}" "${R[$name.cpu_redis]}" \
    "${R[$name.cpu_machine]}")"
  note "$(printf '%-22s server threads waiting for a CPU %s%% of the time; AOF rewrites during the run: %s' \
    "" "${R[$name.runq]}" "${R[$name.aof_rewrites]}")"
  ((${R[$name.sockerr]:-0} == 0)) || note "WARNING: $name had socket errors"
}

# fill N: buffers writes with wrk -t2 -c8 and a per-thread request budget (main down) until
# about N are pending, then returns (in FILLED) the exact number buffered as /buffer-stats
# counts them. FILL_UNITS=FIRST-LAST spreads the observations over those obs units.
FILLED=0
fill() {
  local n=$1 per_thread w_pid i p=0 deadline
  p=$(pending)
  per_thread=$(((n - ${p:-0} + 1) / 2))
  BENCH_BODY=$BODY BENCH_BUDGET=$per_thread BENCH_OBS_UNITS=${FILL_UNITS:-} timeout 600 \
    wrk -t2 -c8 -d590s \
    -s "$repo/bench/wrk.lua" "http://127.0.0.1:$API_PORT$WRITE_PATH" >"$OUT/fill-$n.txt" 2>&1 &
  w_pid=$!
  STARTED+=("$w_pid")
  deadline=$((SECONDS + 580))
  while ((SECONDS < deadline)); do
    p=$(pending)
    [[ -n $p ]] && ((p >= n)) && break
    kill -0 "$w_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -INT "$w_pid" 2>/dev/null || true
  wait "$w_pid" || true
  forget_pid "$w_pid"
  # The last requests in flight are counted once they settle.
  local last=-1
  for ((i = 0; i < 50; i++)); do
    p=$(pending)
    [[ $p == "$last" ]] && break
    last=$p
    sleep 0.1
  done
  ((p >= n)) || die "only $p of $n writes buffered (see $OUT/fill-$n.txt)"
  FILLED=$p
  note "buffered $FILLED writes in $(field "$OUT/fill-$n.txt" seconds) s"
}

rows() {
  scripts/stack.sh psql main -At -c "SELECT count(*) FROM executed_obs_unit" 2>>"$OUT/stack.log"
}

# Polls /buffer-stats every 50 ms: "epoch_seconds pending" lines, until 0 or the deadline.
watch_pending() {
  local file=$1 deadline=$((SECONDS + $2)) p
  : >"$file"
  while ((SECONDS < deadline)); do
    p=$(pending)
    printf '%s %s\n' "$(date +%s.%N)" "${p:-?}" >>"$file"
    [[ $p == 0 ]] && return 0
    sleep 0.05
  done
  return 1
}

# drain NAME N MAIN_PORT_FOR_SERVER: main down, buffer N, start main, time until the buffer is
# empty, check the main database got exactly the buffered number of rows.
drain() {
  local name=$1 n=$2 port=$3 before after w_pid t_main api0 api1 redis_pid r0 r1 pm pg t_end
  before=$(rows)
  stop_main
  # Short retry delays so the drain notices at once that main is back (the default backoff
  # would add up to minutes of waiting that have nothing to do with the drain rate).
  start_api "drain-$name" "$port" TRANSACTION_RETRY_DELAY=0.1 RETRY_MAX_DELAY=0.25
  fill "$n"
  R[$name.n]=$FILLED
  watch_pending "$OUT/drain-$name.poll" 600 &
  w_pid=$!
  STARTED+=("$w_pid")
  redis_pid=$(head -n1 "$STACK_REDIS_PID_FILE")
  api0=$(cpu_ticks "$API_PID")
  r0=$(cpu_ticks "$redis_pid")
  t_main=$(date +%s.%N)
  start_main
  note "main database up again after $(awk -v a="$t_main" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; draining"
  wait "$w_pid" || die "drain $name did not finish in 600 s (see $OUT/drain-$name.poll)"
  forget_pid "$w_pid"
  t_end=$(date +%s.%N)
  api1=$(cpu_ticks "$API_PID")
  r1=$(cpu_ticks "$redis_pid")
  # The main database was started for this drain: all CPU time of its processes is the drain's
  # (plus its start-up).
  pm=$(head -n1 "$STACK_MAIN_PID_FILE")
  pg=0
  for p in "$pm" $(ps -o pid= --ppid "$pm"); do pg=$((pg + $(cpu_ticks "$p"))); done
  read -r "R[$name.cpu_api]" "R[$name.cpu_redis]" "R[$name.cpu_pg]" < <(awk -v d0="$t_main" \
    -v d1="$t_end" -v a="$((api1 - api0))" -v r="$((r1 - r0))" -v g="$pg" -v hz="$HZ" \
    'BEGIN { d = d1 - d0; printf "%.0f %.0f %.0f\n", a / hz / d * 100, r / hz / d * 100, g / hz / d * 100 }')
  # rate_total: from the main database's start command to an empty buffer (reconnect included).
  # rate: from the last poll that still saw all N to the first that saw 0, i.e. the drain
  # itself, conservatively (up to one poll interval and the reconnect's last step included).
  read -r "R[$name.secs]" "R[$name.rate]" "R[$name.secs_total]" "R[$name.rate_total]" < <(awk \
    -v n="$FILLED" -v t0="$t_main" '
      { t[NR] = $1; p[NR] = $2 }
      END {
        full = 1
        for (i = 1; i <= NR; i++) if (p[i] == n) full = i
        d = t[NR] - t[full]; dt = t[NR] - t0
        printf "%.3f %.0f %.3f %.0f\n", d, n / d, dt, n / dt
      }' "$OUT/drain-$name.poll")
  stop_api
  after=$(rows)
  R[$name.rows]=$((after - before))
  note "drained ${R[$name.n]} in ${R[$name.secs]} s = ${R[$name.rate]} tx/s (${R[$name.rate_total]} tx/s counting from the start of main); main DB got ${R[$name.rows]} new rows"
  note "CPU % of one core from the start of main to an empty buffer: server ${R[$name.cpu_api]}, redis ${R[$name.cpu_redis]}, main PostgreSQL ${R[$name.cpu_pg]}"
  [[ ${R[$name.rows]} == "${R[$name.n]}" ]] || note "WARNING: main DB rows (${R[$name.rows]}) != buffered (${R[$name.n]})"
}

# --- 0. preconditions, build, stack ------------------------------------------------------------
((EUID == 0)) || die "run as root (the local stack runs its daemons as postgres/redis)"
for tool in wrk curl redis-cli redis-benchmark cmake ss awk; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install wrk redis-tools curl ...)"
done
for p in "$API_PORT" "$HELLO_PORT" "$PROXY_PORT"; do
  port_free "$p" || die "port $p is in use (set BENCH_*_PORT)"
done
mkdir -p "$OUT"
echo "bench: results and logs in $OUT"

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  say "build (Release, $BUILD)"
  cmake -S "$repo" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 ||
    die "cmake configure failed (see $OUT/build.log)"
  cmake --build "$BUILD" -j2 --target bench >>"$OUT/build.log" 2>&1 ||
    die "build failed (see $OUT/build.log)"
fi
[[ -x $BIN && -x $HELLO ]] || die "binaries missing in $BUILD"

say "stack ($STACK_DIR: main $MAIN_DB_PORT, replica $LOCAL_DB_PORT, redis $REDIS_PORT)"
if ! scripts/stack.sh status >/dev/null 2>&1; then
  # Whatever part is down gets started; the stack is then ours to stop at the end.
  pgrep_free=1
  for ((i = 1; i <= 8; i++)); do
    scripts/stack.sh start >>"$OUT/stack.log" 2>&1 && { pgrep_free=0; break; }
    note "stack start failed (attempt $i; port busy?), retrying in 10 s"
    sleep 10
  done
  ((pgrep_free == 0)) || die "the stack does not start (see $OUT/stack.log)"
  STACK_STARTED=1
  note "started"
else
  note "already up"
fi
eval "$(scripts/stack.sh env)"
export SITE_NAME=$SITE
# This script (everything it starts inherits the niceness; its session is its autogroup), the
# stack's Redis and the main database.
boost $$
boost "$(head -n1 "$STACK_REDIS_PID_FILE")"
boost_main
"$BIN" migrate >>"$OUT/stack.log" 2>&1 || die "migrate failed (see $OUT/stack.log)"
"$BIN" seed-demo >>"$OUT/stack.log" 2>&1 || die "seed-demo failed (see $OUT/stack.log)"
# Every request to the API carries an observer's token, as a client's does (wrk.lua sends
# BENCH_AUTH); the server verifies it on the replica, so it must be there before the first run.
TOKEN=$("$BIN" token create --user bench --role observer --name bench 2>>"$OUT/stack.log") ||
  die "token create failed (see $OUT/stack.log)"
export BENCH_AUTH="Bearer $TOKEN"
for ((i = 0; i < 100; i++)); do
  [[ $(scripts/stack.sh psql replica -At -c "SELECT count(*) FROM api_token WHERE prefix = '${TOKEN:14:12}'" 2>>"$OUT/stack.log") == 1 ]] && break
  sleep 0.1
done
# An HS256 JWT for the same user, signed as a client would sign it.
JWT=$("$PY" - "$BENCH_SECRET" <<'PYEOF'
import base64, hashlib, hmac, json, sys, time
def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "bench", "exp": int(time.time()) + 7200}).encode())
mac = hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(mac)}")
PYEOF
)
clean_keys

{
  echo "date (UTC): $(date -u '+%Y-%m-%d %H:%M')"
  echo "commit: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (+ local changes)')"
  echo "machine: $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "HTTP_THREADS=$THREADS LOG_LEVEL=$LOG_LEVEL_API DRAIN_BATCH_SIZE=${DRAIN_BATCH_SIZE:-500 (default)}"
  echo "priority of the benchmark, its server, wrk, Redis and main PostgreSQL: nice $(ps -o ni= -p $$ | tr -d ' '), autogroup nice $(autogroup_nice $$) (BENCH_NICE)"
} | tee "$OUT/env.txt"

# --- 1. baselines: one Redis round trip, bare Beast hello ----------------------------------------
say "baseline: one Redis round trip (redis-benchmark -c 1 -n 20000, SET)"
redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" ${REDIS_PASSWORD:+-a "$REDIS_PASSWORD"} -c 1 -n 20000 \
  --csv SET "site:$SITE:floor" x >"$OUT/redis-floor.csv" 2>&1
read -r 'R[redis.p50_ms]' 'R[redis.p99_ms]' < <(awk -F'","' 'END { print $5, $7 }' "$OUT/redis-floor.csv")
note "SET round trip: p50 ${R[redis.p50_ms]} ms, p99 ${R[redis.p99_ms]} ms"

say "baseline: bare Beast hello server ($THREADS threads)"
"$HELLO" --port "$HELLO_PORT" --threads "$THREADS" >"$OUT/hello.log" 2>&1 &
HELLO_PID=$!
STARTED+=("$HELLO_PID")
wait_http "$HELLO_PORT" "$HELLO_PID"
run_wrk hello-lat 1 1 "$DURATION" "http://127.0.0.1:$HELLO_PORT$WRITE_PATH" BENCH_BODY="$BODY"
run_wrk hello-tput 2 32 "$DURATION" "http://127.0.0.1:$HELLO_PORT$WRITE_PATH" BENCH_BODY="$BODY"
stop_pid "$HELLO_PID"
HELLO_PID=

# --- 2. main database 200 ms away: the proxy ---------------------------------------------------
say "latency proxy: 127.0.0.1:$PROXY_PORT -> main $MAIN_DB_PORT, +$DELAY_MS ms each way"
"$PY" "$repo/bench/latency_proxy.py" --listen-port "$PROXY_PORT" --target-port "$MAIN_DB_PORT" \
  --delay-ms "$DELAY_MS" --max-seconds 3600 >"$OUT/proxy.log" 2>&1 &
PROXY_PID=$!
STARTED+=("$PROXY_PID")
for ((i = 0; i < 50; i++)); do port_free "$PROXY_PORT" || break; sleep 0.1; done
port_free "$PROXY_PORT" && die "the proxy does not listen (see $OUT/proxy.log)"

say "buffered writes, main database behind the proxy (${DELAY_MS} ms each way), draining meanwhile"
start_api proxied "$PROXY_PORT"
run_wrk proxied-lat 1 1 "$DURATION" "http://127.0.0.1:$API_PORT$WRITE_PATH" BENCH_BODY="$BODY"
run_wrk proxied-tput 2 32 "$DURATION" "http://127.0.0.1:$API_PORT$WRITE_PATH" BENCH_BODY="$BODY"
stop_api

# --- 3. main database down -------------------------------------------------------------------
say "buffered writes, main database down"
ROWS_BEFORE=$(rows)
stop_main
start_api down "$MAIN_DB_PORT"
run_wrk down-lat 1 1 "$DURATION" "http://127.0.0.1:$API_PORT$WRITE_PATH" BENCH_BODY="$BODY"
run_wrk down-tput 2 32 "$DURATION" "http://127.0.0.1:$API_PORT$WRITE_PATH" BENCH_BODY="$BODY"
# The cost of Redis's appendfsync setting (DESIGN §12: always ≥ 0.5 × everysec): the same run
# with each, then the stack's own setting again.
FSYNC_SHIPPED=$(redis_cli config get appendfsync | tail -n1)
for mode in everysec always; do
  redis_cli config set appendfsync "$mode" >/dev/null
  run_wrk "fsync-$mode" 2 32 "$DURATION" "http://127.0.0.1:$API_PORT$WRITE_PATH" BENCH_BODY="$BODY"
done
redis_cli config set appendfsync "$FSYNC_SHIPPED" >/dev/null
stop_api

say "what authentication adds: GET /auth/me with an API token and with a JWT, against the open GET /health (main down)"
start_api auth "$MAIN_DB_PORT"
run_wrk auth-open 1 1 "$DURATION" "http://127.0.0.1:$API_PORT/health"
run_wrk auth-token 1 1 "$DURATION" "http://127.0.0.1:$API_PORT/auth/me"
run_wrk auth-jwt 1 1 "$DURATION" "http://127.0.0.1:$API_PORT/auth/me" BENCH_AUTH="Bearer $JWT"
stop_api
"$BUILD/bench/auth_check_bench" --benchmark_min_time=1 --benchmark_format=csv \
  >"$OUT/auth-check.csv" 2>>"$OUT/stack.log" || die "auth_check_bench failed"
R[auth-check.token_ns]=$(awk -F, '/BM_ApiToken/ { printf "%.0f", $4 }' "$OUT/auth-check.csv")
R[auth-check.jwt_ns]=$(awk -F, '/BM_Jwt/ { printf "%.0f", $4 }' "$OUT/auth-check.csv")
note "verifier, cached credential, CPU per check: API token ${R[auth-check.token_ns]} ns, JWT ${R[auth-check.jwt_ns]} ns"

say "health and buffer-stats with a backlog of $BACKLOG_N (main down)"
start_api backlog "$MAIN_DB_PORT"
fill "$BACKLOG_N"
R[backlog.n]=$FILLED
run_wrk backlog-health 1 1 5 "http://127.0.0.1:$API_PORT/health"
run_wrk backlog-stats 1 1 5 "http://127.0.0.1:$API_PORT/buffer-stats"
stop_api
start_main
ROWS_AFTER=$(rows)
((ROWS_AFTER == ROWS_BEFORE)) || note "WARNING: rows changed while main was down?"

# A blackholed main database answers nothing at all: the drain hangs in its connect until the
# deadline, again and again. /health must not notice.
say "health and buffer-stats with the main database blackholed"
start_api blackhole "$MAIN_DB_PORT"
scripts/fault.sh blackhole "$MAIN_DB_PORT" >>"$OUT/stack.log" 2>&1 || die "blackhole failed"
BLACKHOLED=1
fill 1000
run_wrk blackhole-health 1 1 5 "http://127.0.0.1:$API_PORT/health"
run_wrk blackhole-stats 1 1 5 "http://127.0.0.1:$API_PORT/buffer-stats"
scripts/fault.sh unblackhole "$MAIN_DB_PORT" >>"$OUT/stack.log" 2>&1
BLACKHOLED=0
stop_api

# --- 3b. reads: the replica merged with a large buffer ------------------------------------------
reads() {
  local name=$1 id
  FILL_UNITS=$READS_UNITS fill "$2"
  R[$name.n]=$FILLED
  id=$(curl -s --max-time 5 -H "Authorization: $BENCH_AUTH" \
    "http://127.0.0.1:$API_PORT/executed_obs_units?obs_unit_id=$READS_UNIT&limit=1" |
    sed -n 's/.*"items":\[{[^]]*"id":"\([0-9a-f-]*\)".*/\1/p')
  [[ -n $id ]] || die "no buffered observation of obs unit $READS_UNIT found"
  run_wrk "$name-list" 1 1 5 \
    "http://127.0.0.1:$API_PORT/executed_obs_units?obs_unit_id=$READS_UNIT&limit=100"
  run_wrk "$name-get" 1 1 5 "http://127.0.0.1:$API_PORT/executed_obs_units/$id"
  run_wrk "$name-health" 1 1 5 "http://127.0.0.1:$API_PORT/health"
  run_wrk "$name-stats" 1 1 5 "http://127.0.0.1:$API_PORT/buffer-stats"
}

say "reads merged with the buffer: $READS_N buffered over obs units $READS_UNITS (main down)"
scripts/stack.sh psql main -q -c "INSERT INTO obs_unit (id, name, source_id, observing_program_id,
    sub_observing_program_id, obs_mode_id, instrument_module_id)
  SELECT g, 'bench-unit-' || g, u.source_id, u.observing_program_id, u.sub_observing_program_id,
         u.obs_mode_id, u.instrument_module_id
  FROM generate_series(${READS_UNITS%-*}, ${READS_UNITS#*-}) g, (SELECT * FROM obs_unit ORDER BY id LIMIT 1) u
  ON CONFLICT DO NOTHING" >>"$OUT/stack.log" 2>&1 || die "creating obs units failed (see $OUT/stack.log)"
for ((i = 0; i < 100; i++)); do
  [[ $(scripts/stack.sh psql replica -At -c "SELECT count(*) FROM obs_unit WHERE id = ${READS_UNITS#*-}" 2>>"$OUT/stack.log") == 1 ]] && break
  sleep 0.1
done
stop_main
start_api reads "$MAIN_DB_PORT"
reads reads "$READS_N"
((READS_N_LARGE > 0)) && reads reads-large "$READS_N_LARGE"
stop_api
start_main

# --- 4. drain rate ------------------------------------------------------------------------------
say "drain: $DRAIN_N buffered while main is down, then main started (0 ms added)"
drain drain0 "$DRAIN_N" "$MAIN_DB_PORT"
say "drain: $DRAIN_N_DELAYED buffered while main is down, then main started (+$DELAY_MS ms each way)"
drain drain100 "$DRAIN_N_DELAYED" "$PROXY_PORT"

stop_pid "$PROXY_PID"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/env.txt"

# --- 5. the table ---------------------------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "met" : "MISSED") }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? 1 : 0 }'; }

table() {
  local r p50 p99 case
  cat "$OUT/env.txt"
  echo
  echo "| measurement | measured | target | ratio | verdict |"
  echo "|---|---|---|---|---|"
  echo "| one Redis round trip (SET, 1 client) p50 / p99 | ${R[redis.p50_ms]} / ${R[redis.p99_ms]} ms | floor | | |"
  echo "| bare Beast hello, 1 client, p50 / p99 | $(ms "${R[hello-lat.p50_us]}") / $(ms "${R[hello-lat.p99_us]}") ms | floor | | |"
  for case in down proxied; do
    r=$case-lat
    p50=$(ms "${R[$r.p50_us]}")
    p99=$(ms "${R[$r.p99_us]}")
    local label="main DB down"
    [[ $case == proxied ]] && label="main DB +${DELAY_MS} ms each way"
    echo "| buffered write, 1 client, $label: p50 | $p50 ms | ≤ 0.2 ms | $(ratio "$p50" 0.2) × target; FastAPI 0.51 ms / this = $(ratio 0.51 "$p50") ×; this / Redis RTT = $(ratio "$p50" "${R[redis.p50_ms]}") × | $(verdict "$(le "$p50" 0.2)") |"
    echo "| buffered write, 1 client, $label: p99 | $p99 ms | ≤ 0.5 ms | $(ratio "$p99" 0.5) × target; FastAPI 0.94 ms / this = $(ratio 0.94 "$p99") × | $(verdict "$(le "$p99" 0.5)") |"
  done
  echo "| authentication, 1 client, p50: GET /auth/me with an API token / with a JWT / open GET /health | $(ms "${R[auth-token.p50_us]}") / $(ms "${R[auth-jwt.p50_us]}") / $(ms "${R[auth-open.p50_us]}") ms | | token − open: $(awk -v a="${R[auth-token.p50_us]}" -v b="${R[auth-open.p50_us]}" 'BEGIN { printf "%+.1f", a - b }') µs | |"
  echo "| verifier CPU per request, cached: API token / JWT | ${R[auth-check.token_ns]} / ${R[auth-check.jwt_ns]} ns | | | |"
  echo "| bare Beast hello, 32 connections | ${R[hello-tput.rps]%.*} req/s | baseline | | |"
  for case in down proxied; do
    r=$case-tput
    local label="main DB down"
    [[ $case == proxied ]] && label="main DB +${DELAY_MS} ms, draining"
    local vs_hello vs_fastapi
    vs_hello=$(ratio "${R[$r.rps]}" "${R[hello-tput.rps]}")
    vs_fastapi=$(ratio "${R[$r.rps]}" 5000)
    echo "| buffered writes, 32 connections, $label | ${R[$r.rps]%.*} req/s | ≥ 0.5 × hello | $vs_hello × hello | $(verdict "$(ge "$vs_hello" 0.5)") |"
    echo "| (same) vs FastAPI 5,000 req/s | | ≥ 10 × | $vs_fastapi × | $(verdict "$(ge "$vs_fastapi" 10)") |"
  done
  local vs_everysec
  vs_everysec=$(ratio "${R[fsync-always.rps]}" "${R[fsync-everysec.rps]}")
  echo "| buffered writes, 32 connections, main DB down, Redis appendfsync always (everysec: ${R[fsync-everysec.rps]%.*} req/s; the stack ships $FSYNC_SHIPPED) | ${R[fsync-always.rps]%.*} req/s | ≥ 0.5 × everysec | $vs_everysec × everysec | $(verdict "$(ge "$vs_everysec" 0.5)") |"
  echo "| drain, 0 ms added (N=${R[drain0.n]}, rows in main ${R[drain0.rows]}) | ${R[drain0.rate]} tx/s (${R[drain0.secs]} s); ${R[drain0.rate_total]} tx/s from start of main | ≥ 5,000 tx/s | $(ratio "${R[drain0.rate]}" 5000) × target; $(ratio "${R[drain0.rate]}" 461) × Python | $(verdict "$(ge "${R[drain0.rate]}" 5000)") |"
  echo "| drain, +${DELAY_MS} ms each way (N=${R[drain100.n]}, rows in main ${R[drain100.rows]}) | ${R[drain100.rate]} tx/s (${R[drain100.secs]} s); ${R[drain100.rate_total]} tx/s from start of main | ≥ 1,000 tx/s | $(ratio "${R[drain100.rate]}" 1000) × target; $(ratio "${R[drain100.rate]}" 0.7) × Python | $(verdict "$(ge "${R[drain100.rate]}" 1000)") |"
  local run label
  for run in backlog blackhole reads-large; do
    case $run in
      backlog) label="${R[backlog.n]} buffered, main DB down" ;;
      blackhole) label="main DB blackholed" ;;
      reads-large) [[ -n ${R[reads-large.n]:-} ]] || continue; label="${R[reads-large.n]} buffered, main DB down" ;;
    esac
    for r in health stats; do
      local path=/health
      [[ $r == stats ]] && path=/buffer-stats
      p50=$(ms "${R[$run-$r.p50_us]}")
      p99=$(ms "${R[$run-$r.p99_us]}")
      echo "| GET $path, $label, 1 client: p50 / p99 / max | $p50 / $p99 / $(ms "${R[$run-$r.max_us]}") ms | < 5 ms | $(ratio "$p99" 5) × target (p99) | $(verdict "$(awk -v a="$p99" 'BEGIN { print (a < 5) }')") |"
    done
  done
  for r in reads reads-large; do
    [[ -n ${R[$r.n]:-} ]] || continue
    p50=$(ms "${R[$r-list.p50_us]}")
    p99=$(ms "${R[$r-list.p99_us]}")
    echo "| GET list of one obs unit (limit 100), ${R[$r.n]} buffered over 1,000 obs units: p50 / p99 | $p50 / $p99 ms | p50 < 5, p99 < 20 ms | $(ratio "$p50" 5) × target (p50) | $(verdict "$(awk -v a="$p50" -v b="$p99" 'BEGIN { print (a < 5 && b < 20) }')") |"
    p50=$(ms "${R[$r-get.p50_us]}")
    p99=$(ms "${R[$r-get.p99_us]}")
    echo "| GET one buffered observation by id, ${R[$r.n]} buffered: p50 / p99 | $p50 / $p99 ms | p50 < 1 ms | $(ratio "$p50" 1) × target | $(verdict "$(le "$p50" 1)") |"
  done
  echo
  echo "CPU during the 32-connection runs (% of one core; the machine has $(nproc), shared by wrk and the server):"
  for r in hello-tput down-tput proxied-tput; do
    echo "- $r: server ${R[$r.cpu_server]}%, wrk ${R[$r.cpu_wrk]}%, redis ${R[$r.cpu_redis]}%, whole machine ${R[$r.cpu_machine]}% of $((100 * $(nproc)))%"
  done
  echo "- 1-client runs: hello server ${R[hello-lat.cpu_server]}%/wrk ${R[hello-lat.cpu_wrk]}%; API (main down) ${R[down-lat.cpu_server]}%/wrk ${R[down-lat.cpu_wrk]}%/redis ${R[down-lat.cpu_redis]}%"
  echo "- time the busy server threads were runnable but waiting for a CPU: hello ${R[hello-tput.runq]}%, API main down ${R[down-tput.runq]}%, API proxied ${R[proxied-tput.runq]}% (32 connections); 1 client: hello ${R[hello-lat.runq]}%, API ${R[down-lat.runq]}%"
  echo "- Redis AOF rewrites (fork + full dump) during the wrk runs: $(for r in hello-tput proxied-lat proxied-tput down-lat down-tput backlog-health backlog-stats; do printf '%s %s; ' "$r" "${R[$r.aof_rewrites]}"; done)"
  echo
  echo "Drain (start of main → empty buffer), % of one core: 0 ms: server ${R[drain0.cpu_api]}%, redis ${R[drain0.cpu_redis]}%, main PostgreSQL ${R[drain0.cpu_pg]}%; +${DELAY_MS} ms: server ${R[drain100.cpu_api]}%, redis ${R[drain100.cpu_redis]}%, main PostgreSQL ${R[drain100.cpu_pg]}%."
  local errs=0
  for r in hello-lat hello-tput proxied-lat proxied-tput down-lat down-tput fsync-everysec fsync-always backlog-health backlog-stats \
    blackhole-health blackhole-stats auth-open auth-token auth-jwt; do
    errs=$((errs + ${R[$r.non2xx]:-0} + ${R[$r.sockerr]:-0}))
  done
  echo
  echo "non-2xx answers and socket errors over all wrk runs: $errs"
}

say "results"
table | tee "$OUT/results.md"
echo
echo "bench: results in $OUT/results.md; per-thread CPU of the server in $OUT/*.threads"
