#!/usr/bin/env bash
# Fault injection for the reliability tests (root only).
#
# Usage: scripts/fault.sh COMMAND
#   blackhole PORT     silently drop every TCP packet to/from 127.0.0.1:PORT
#                      (connects and established sessions hang; nothing is refused)
#   unblackhole PORT   undo blackhole PORT; the table goes when no port is left
#   clear              remove every blackhole
#   status             list blackholed ports
#   pause-main | resume-main         SIGSTOP/SIGCONT the primary's postmaster and children
#   pause-replica | resume-replica   the same for the local replica
#   pause-redis | resume-redis       SIGSTOP/SIGCONT the Redis server (a frozen buffer)
#   kill-redis         SIGKILL the Redis server (a crash of the process, not of the machine);
#                      returns once it is gone. Start it again with scripts/stack.sh start-redis
#
# The stack's pid files are found via scripts/stack.sh env (same STACK_DIR knobs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TABLE=opsdb_fault

die() { echo "fault: $*" >&2; exit 1; }

if ((EUID != 0)); then
  echo "fault: must run as root (nftables and signalling the postgres user's processes)" >&2
  exit 2
fi

valid_port() {
  if ! [[ "$1" =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > 65535)); then die "bad port '$1'"; fi
}
table_exists() { nft list table inet "$TABLE" >/dev/null 2>&1; }

# One set of ports, matched by both directions in the input and output hooks. A DROP in
# netfilter is silent (no RST, no ICMP), so peers see a dead network, not a down server;
# `tc netem` is not available in every kernel, nftables is.
ensure_table() {
  table_exists && return 0
  nft -f - <<EOF
table inet $TABLE {
  set ports { type inet_service; }
  chain input {
    type filter hook input priority -10; policy accept;
    iifname "lo" tcp dport @ports drop
    iifname "lo" tcp sport @ports drop
  }
  chain output {
    type filter hook output priority -10; policy accept;
    oifname "lo" tcp dport @ports drop
    oifname "lo" tcp sport @ports drop
  }
}
EOF
}

has_port() { nft get element inet "$TABLE" ports "{ $1 }" >/dev/null 2>&1; }

port_list() {
  table_exists || return 0
  nft -j list set inet "$TABLE" ports 2>/dev/null |
    python3 -c 'import json,sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []): print(e)'
}

blackhole() {
  valid_port "$1"
  ensure_table
  has_port "$1" || nft add element inet "$TABLE" ports "{ $1 }"
  echo "fault: port $1 blackholed"
}

unblackhole() {
  valid_port "$1"
  if table_exists && has_port "$1"; then
    nft delete element inet "$TABLE" ports "{ $1 }"
  fi
  if table_exists && [[ -z "$(port_list)" ]]; then
    nft delete table inet "$TABLE"
  fi
  echo "fault: port $1 reachable"
}

clear_all() {
  if table_exists; then nft delete table inet "$TABLE"; fi
  echo "fault: no blackholes"
}

# PID from the pid file named by stack.sh's variable VAR, checked to be a live COMM process.
daemon_pid() {
  local var=$1 comm=$2 file pid
  eval "$("$here/stack.sh" env)"
  file=${!var}
  [[ -r "$file" ]] || die "no pid file $file (is the stack running?)"
  pid=$(head -n1 "$file" | tr -d ' ')
  if ! [[ "$pid" =~ ^[0-9]+$ && $(ps -o comm= -p "$pid" 2>/dev/null) == "$comm" ]]; then
    die "pid '$pid' from $file is not a running $comm"
  fi
  echo "$pid"
}
postmaster_pid() { daemon_pid "$1" postgres; }

# SIGSTOP the postmaster first so it cannot fork new backends meanwhile, then its
# children; resume in reverse order. Backends are all direct children of the postmaster.
signal_tree() {
  local sig=$1 pid=$2 child children
  children=$(ps --ppid "$pid" -o pid= 2>/dev/null || true)
  if [[ $sig == STOP ]]; then
    kill -STOP "$pid"
    children=$(ps --ppid "$pid" -o pid= 2>/dev/null || true)
    for child in $children; do kill -STOP "$child" 2>/dev/null || true; done
  else
    for child in $children; do kill -CONT "$child" 2>/dev/null || true; done
    kill -CONT "$pid"
  fi
}

pause() {
  local pid
  pid=$(postmaster_pid "$1")
  signal_tree STOP "$pid"
  echo "fault: $2 paused (postmaster $pid and children)"
}

resume() {
  local pid
  pid=$(postmaster_pid "$1")
  signal_tree CONT "$pid"
  echo "fault: $2 resumed (postmaster $pid and children)"
}

# The kernel keeps what Redis wrote to its append-only file before the kill (the page cache);
# what Redis had not yet written is lost. Gone = no longer a process or only a zombie: its
# port and files are released then.
kill_redis() {
  local pid i st
  pid=$(daemon_pid STACK_REDIS_PID_FILE redis-server)
  kill -KILL "$pid"
  for ((i = 0; i < 100; i++)); do
    st=$(ps -o stat= -p "$pid" 2>/dev/null | tr -d ' ') || true
    [[ -z "$st" || "$st" == Z* ]] && { echo "fault: redis killed (pid $pid)"; return 0; }
    sleep 0.1
  done
  die "redis (pid $pid) still alive 10 s after SIGKILL"
}

case "${1:-}" in
blackhole) [[ $# == 2 ]] || die "usage: fault.sh blackhole PORT"; blackhole "$2" ;;
unblackhole) [[ $# == 2 ]] || die "usage: fault.sh unblackhole PORT"; unblackhole "$2" ;;
clear) clear_all ;;
status) ports=$(port_list | tr "\n" " "); ports=${ports% }; echo "fault: blackholed ports: ${ports:-none}" ;;
pause-main) pause STACK_MAIN_PID_FILE main ;;
resume-main) resume STACK_MAIN_PID_FILE main ;;
pause-replica) pause STACK_REPLICA_PID_FILE replica ;;
resume-replica) resume STACK_REPLICA_PID_FILE replica ;;
pause-redis) kill -STOP "$(daemon_pid STACK_REDIS_PID_FILE redis-server)"; echo "fault: redis paused" ;;
resume-redis) kill -CONT "$(daemon_pid STACK_REDIS_PID_FILE redis-server)"; echo "fault: redis resumed" ;;
kill-redis) kill_redis ;;
*)
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
