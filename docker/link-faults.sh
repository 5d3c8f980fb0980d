#!/bin/sh
# Faults on the link from the observatory to the main site, for demonstrations. Runs in the
# link-faults container of docker/compose.yaml, which shares the observatory API's network
# namespace, so it acts on that server's traffic to the main database and nothing else's.
#   link-faults delay MS [JITTER_MS]   add latency to every packet towards the main database
#   link-faults loss PERCENT           drop that share of the packets towards it
#   link-faults blackhole              drop every packet to it (a cut link: no reset, no answer)
#   link-faults heal                   remove every fault
#   link-faults status                 show what is in place
# The target is MAIN_DB_HOST (a name or an address) on MAIN_DB_PORT, through the interface the
# route to it takes (LINK_DEVICE overrides); netem needs the host kernel's sch_netem module.
set -eu

host=${MAIN_DB_HOST:-main-db}
port=${MAIN_DB_PORT:-5432}

target_ip() {
  ip=$(getent ahostsv4 "$host" | awk 'NR == 1 { print $1 }')
  [ -n "$ip" ] || { echo "link-faults: cannot resolve $host" >&2; exit 1; }
  echo "$ip"
}

dev=${LINK_DEVICE:-$(ip -o route get "$(target_ip)" | sed -n 's/.* dev \([^ ]*\).*/\1/p')}

# A prio qdisc with a fourth band that only the filter for the main database fills: the
# observatory's other traffic (Redis, the replica, clients) keeps its normal path.
netem() {
  tc qdisc del dev "$dev" root 2>/dev/null || true
  tc qdisc add dev "$dev" root handle 1: prio bands 4
  tc qdisc add dev "$dev" parent 1:4 handle 40: netem "$@"
  tc filter add dev "$dev" parent 1:0 protocol ip prio 1 u32 \
    match ip dst "$(target_ip)/32" match ip dport "$port" 0xffff flowid 1:4
}

case "${1:-status}" in
  delay) netem delay "${2:?delay in ms}ms" "${3:-0}ms" ;;
  loss) netem loss "${2:?loss in percent}%" ;;
  blackhole)
    nft delete table inet link_faults 2>/dev/null || true
    nft add table inet link_faults
    nft add chain inet link_faults out '{ type filter hook output priority 0; }'
    nft add rule inet link_faults out ip daddr "$(target_ip)" tcp dport "$port" drop
    ;;
  heal)
    tc qdisc del dev "$dev" root 2>/dev/null || true
    nft delete table inet link_faults 2>/dev/null || true
    ;;
  status)
    tc qdisc show dev "$dev"
    tc filter show dev "$dev" 2>/dev/null || true
    nft list table inet link_faults 2>/dev/null || echo "no blackhole"
    ;;
  *) echo "usage: link-faults delay MS [JITTER_MS] | loss PERCENT | blackhole | heal | status" >&2
     exit 2 ;;
esac
