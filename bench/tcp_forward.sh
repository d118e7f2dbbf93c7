#!/usr/bin/env bash
# Layer-4 forwarding benchmark on loopback: direct vs rama vs haproxy (mode tcp).
#
# Measures bulk throughput (N connections writing as fast as possible into a sink) and
# connection rate (connect, 1 byte echoed, close) for:
#   direct   the load generator talks to the sink/echo server itself
#   rama     through our forwarder (default: the CLI, `rama serve forward`; bench's
#            `tcpforward` explores other runtime layouts)
#   haproxy  through haproxy in `mode tcp`, nbthread 2 (default config: no splice)
# Rounds rotate the order of the three, and the median of each is reported, because the
# machine is shared and noisy.
#
# Each target's connection rate goes to an echo server of its own (three processes of the
# same binary): with one echo server shared, the test that ran right after the direct one
# (14k connections/s, whose TIME_WAIT sockets all point at the echo's port) lost about 7%
# of its rate, and the rotation put rama there in two rounds of three, haproxy in none.
#
# The load must not be the bottleneck, or the test measures the load generator: the bulk
# sender and the sink run one thread per core (with one thread each, a direct connection
# moved no more than haproxy did), the connection-rate loops one thread (a direct
# connection already runs at about 1.5x the proxied rate with it).
#
# usage: bench/tcp_forward.sh [--rounds R] [--seconds S] [--bulk-conns N] [--rate-conns N]
#                             [--bulk-threads N] [--forwarder 'CMD {bind} {to}'] [--haproxy-splice]
#
#   --bulk-threads  runtime threads of the bulk sender and of the sink (default: the cores)
#   --forwarder   the command that starts our forwarder; {bind} and {to} are replaced by
#                 host:port, e.g. --forwarder 'target/release/tcpforward --multi-thread --bind {bind} --to {to}'
#                 (also RAMA_FORWARDER in the environment)
#   --haproxy-splice  add `option splice-auto` to haproxy's config (an extra comparison)
#
# Everything it starts is stopped on exit. Ports: BENCH_PORT_BASE (default 29000) .. +21.
set -euo pipefail

ROUNDS=3
SECONDS_PER_RUN=3
BULK_CONNS=4
RATE_CONNS=32
BULK_THREADS=$(nproc)
HAPROXY_SPLICE=0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
DEFAULT_FORWARDER="$TARGET_DIR/release/rama serve forward --bind {bind} --to {to}"
FORWARDER="${RAMA_FORWARDER:-$DEFAULT_FORWARDER}"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
        --bulk-conns) BULK_CONNS="$2"; shift 2 ;;
        --rate-conns) RATE_CONNS="$2"; shift 2 ;;
        --bulk-threads) BULK_THREADS="$2"; shift 2 ;;
        --forwarder) FORWARDER="$2"; shift 2 ;;
        --haproxy-splice) HAPROXY_SPLICE=1; shift ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

BASE="${BENCH_PORT_BASE:-29000}"
SINK=$((BASE)); ECHO=$((BASE + 1)); RAMA_ECHO=$((BASE + 2)); HAP_ECHO=$((BASE + 3))
RAMA_BULK=$((BASE + 10)); RAMA_RATE=$((BASE + 11))
HAP_BULK=$((BASE + 20)); HAP_RATE=$((BASE + 21))
WORK="$(mktemp -d)"
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT INT TERM
require_free_ports "$SINK" "$ECHO" "$RAMA_ECHO" "$HAP_ECHO" "$RAMA_BULK" "$RAMA_RATE" "$HAP_BULK" "$HAP_RATE"

install_missing haproxy haproxy

echo "building release binaries" >&2
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -q -p rama-bench -p rama-cli)
TCPBENCH="$TARGET_DIR/release/tcpbench"

forwarder_cmd() { # forwarder_cmd BIND_PORT TO_PORT
    local cmd="${FORWARDER//\{bind\}/127.0.0.1:$1}"
    echo "${cmd//\{to\}/127.0.0.1:$2}"
}

start "$TCPBENCH" --threads "$BULK_THREADS" sink --bind "127.0.0.1:$SINK"
for port in "$ECHO" "$RAMA_ECHO" "$HAP_ECHO"; do
    start "$TCPBENCH" echo --bind "127.0.0.1:$port"
done
# shellcheck disable=SC2046 # the forwarder command is split into words on purpose
start $(forwarder_cmd "$RAMA_BULK" "$SINK")
RAMA_BULK_PID=$LAST_PID
# shellcheck disable=SC2046
start $(forwarder_cmd "$RAMA_RATE" "$RAMA_ECHO")
RAMA_RATE_PID=$LAST_PID

SPLICE_LINE=""
if [[ "$HAPROXY_SPLICE" == 1 ]]; then SPLICE_LINE="  option splice-auto"; fi
cat >"$WORK/haproxy.cfg" <<EOF
global
  nbthread 2
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
$SPLICE_LINE
listen bulk
  bind 127.0.0.1:$HAP_BULK
  server sink 127.0.0.1:$SINK
listen rate
  bind 127.0.0.1:$HAP_RATE
  server echo 127.0.0.1:$HAP_ECHO
EOF
start haproxy -db -f "$WORK/haproxy.cfg"
HAP_PID=$LAST_PID

for port in "$SINK" "$ECHO" "$RAMA_ECHO" "$HAP_ECHO" "$RAMA_BULK" "$RAMA_RATE" "$HAP_BULK" "$HAP_RATE"; do
    wait_port "$port"
done

declare -A PORT=(
    [bulk_direct]=$SINK [bulk_rama]=$RAMA_BULK [bulk_haproxy]=$HAP_BULK
    [rate_direct]=$ECHO [rate_rama]=$RAMA_RATE [rate_haproxy]=$HAP_RATE
)
declare -A PROXY_PID=(
    [bulk_rama]=$RAMA_BULK_PID [bulk_haproxy]=$HAP_PID
    [rate_rama]=$RAMA_RATE_PID [rate_haproxy]=$HAP_PID
)
declare -A RESULTS=() COSTS=()
CLK_TCK=$(getconf CLK_TCK)

measure() { # measure bulk|rate TARGET -> prints "RATE COST" (COST: proxy CPU per unit, or -)
    local test="$1" target="$2" port="${PORT[${1}_${2}]}" out pid="${PROXY_PID[${1}_${2}]:-}"
    local t0 t1 c0=0 c1=0 rate cost=-
    t0=$(date +%s.%N)
    [[ -n "$pid" ]] && c0=$(cpu_ticks "$pid")
    if [[ "$test" == bulk ]]; then
        out=$("$TCPBENCH" --threads "$BULK_THREADS" bulk --to "127.0.0.1:$port" --conns "$BULK_CONNS" --seconds "$SECONDS_PER_RUN")
    else
        out=$("$TCPBENCH" connrate --to "127.0.0.1:$port" --conns "$RATE_CONNS" --seconds "$SECONDS_PER_RUN")
    fi
    t1=$(date +%s.%N)
    [[ -n "$pid" ]] && c1=$(cpu_ticks "$pid")
    rate=$(sed -n 's/^result=//p' <<<"$out")
    if [[ -n "$pid" ]]; then
        # the proxy's CPU time over the whole run divided by the work of the whole run
        # (rate x wall time): ms per GiB for bulk, us per connection for the rate
        cost=$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v r="$rate" -v t0="$t0" -v t1="$t1" -v test="$test" \
            'BEGIN { work = r * (t1 - t0); if (work <= 0) { print "-"; exit }
                     s = c / hz; if (test == "bulk") printf "%.0f", s * 1000 / (work / 1073741824); else printf "%.1f", s * 1e6 / work }')
    fi
    echo "  $(head -n1 <<<"$out") | proxy CPU: $cost" >&2
    echo "$rate $cost"
}

ORDERS=("direct rama haproxy" "rama haproxy direct" "haproxy direct rama")
for round in $(seq "$ROUNDS"); do
    order="${ORDERS[$(((round - 1) % 3))]}"
    echo "round $round/$ROUNDS ($order)" >&2
    for test in bulk rate; do
        for target in $order; do
            read -r rate cost < <(measure "$test" "$target")
            RESULTS[${test}_${target}]+="$rate "
            COSTS[${test}_${target}]+="$cost "
        done
    done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -sr), haproxy $(haproxy -v | head -n1 | awk '{print $3}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "forwarder: $(forwarder_cmd "$RAMA_BULK" "$SINK")"
echo "median of $ROUNDS rounds of ${SECONDS_PER_RUN}s; bulk: $BULK_CONNS connections, sender and sink on $BULK_THREADS threads each; rate: $RATE_CONNS loops on 1 thread"
echo
printf '| %-30s | %9s | %9s | %9s | %12s | %11s |\n' test direct rama haproxy rama/haproxy rama/direct
printf '|%s|%s|%s|%s|%s|%s|\n' -------------------------------- ----------- ----------- ----------- -------------- -------------
for test in bulk rate; do
    d=$(median "${RESULTS[${test}_direct]}")
    r=$(median "${RESULTS[${test}_rama]}")
    h=$(median "${RESULTS[${test}_haproxy]}")
    rc=$(median "${COSTS[${test}_rama]}")
    hc=$(median "${COSTS[${test}_haproxy]}")
    if [[ "$test" == bulk ]]; then
        label="bulk (MiB/s)"
        cost_label="proxy CPU ms per GiB (lower=better)"
        fmt() { awk -v v="$1" 'BEGIN {printf "%.0f", v / 1048576}'; }
    else
        label="connection rate (/s)"
        cost_label="proxy CPU us per conn (lower=better)"
        fmt() { awk -v v="$1" 'BEGIN {printf "%.0f", v}'; }
    fi
    printf '| %-30s | %9s | %9s | %9s | %12s | %11s |\n' "$label" "$(fmt "$d")" "$(fmt "$r")" "$(fmt "$h")" "$(ratio "$r" "$h")" "$(ratio "$r" "$d")"
    printf '| %-30s | %9s | %9s | %9s | %12s | %11s |\n' "$cost_label" - "$rc" "$hc" "$(ratio "$rc" "$hc")" -
done
