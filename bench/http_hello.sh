#!/usr/bin/env bash
# HTTP hello-world benchmark on loopback: rama vs hyper vs nginx, same run, same machine.
#
#   HTTP/1.1  wrk, keep-alive connections (default 64 on 2 threads)
#   h2c       h2load, prior knowledge (default 64 connections x 10 concurrent streams)
#   memory    10,000 idle keep-alive HTTP/1.1 connections (bench's idle_conns): the growth
#             of the server's resident memory (VmRSS, summed over nginx's processes) per
#             connection
#
# Servers:
#   rama   examples' http_hello (HttpServer::auto, tokio multi-thread runtime), release build
#   rama-pc  the same service on a single-threaded runtime per core sharing one listening
#          socket (bench's rama_hello; the layout `rama serve` uses)
#   hyper  bench's hyper_hello (hyper 1.x, hyper-util auto builder, multi-thread runtime)
#   hyper-pc  the same on a single-threaded runtime per core sharing one listening socket
#   nginx  `return 200 "hello"`, worker_processes 2, access_log off (h2c on its own port:
#          nginx cannot serve HTTP/1 and h2c prior knowledge on one port)
# Rounds rotate the order of the servers; the best round of each is reported, because the
# machine is shared and noisy. Prints requests/s, the server's CPU time per request (user +
# system, from /proc/PID/stat: steadier than req/s when the load generator shares the
# cores) and the ratios rama/hyper and rama/nginx.
#
# usage: bench/http_hello.sh [--rounds R] [--seconds S] [--conns C] [--streams M]
#                            [--idle N] [--no-memory]
#
# Installs wrk, nghttp2-client (h2load) and nginx-light with apt-get when missing. Stops
# everything it started on exit. Ports: BENCH_PORT_BASE (default 29100) .. +5.
set -euo pipefail

ROUNDS=2
SECONDS_PER_RUN=6
CONNS=64
STREAMS=10
IDLE=10000
MEMORY=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
        --conns) CONNS="$2"; shift 2 ;;
        --streams) STREAMS="$2"; shift 2 ;;
        --idle) IDLE="$2"; shift 2 ;;
        --no-memory) MEMORY=0; shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

BASE="${BENCH_PORT_BASE:-29100}"
RAMA_PORT=$((BASE)); HYPER_PORT=$((BASE + 1)); NGINX_PORT=$((BASE + 2)); NGINX_H2_PORT=$((BASE + 3))
RAMA_PC_PORT=$((BASE + 4)); HYPER_PC_PORT=$((BASE + 5))
WORK="$(mktemp -d)"
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT INT TERM
require_free_ports "$RAMA_PORT" "$HYPER_PORT" "$NGINX_PORT" "$NGINX_H2_PORT" "$RAMA_PC_PORT" "$HYPER_PC_PORT"

install_missing wrk wrk
install_missing h2load nghttp2-client
install_missing nginx nginx-light
NGINX="$(command -v nginx)"

# 10,000 idle connections need as many descriptors in the server and in the client
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "building release binaries" >&2
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -q \
    -p rama-examples --bin http_hello -p rama-bench --bin hyper_hello --bin idle_conns --bin rama_hello)
RAMA_BIN="$TARGET_DIR/release/http_hello"
RAMA_PC_BIN="$TARGET_DIR/release/rama_hello"
HYPER_BIN="$TARGET_DIR/release/hyper_hello"
IDLE_BIN="$TARGET_DIR/release/idle_conns"

mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 65536;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events {
    worker_connections 20000;
}
http {
    access_log off;
    client_body_temp_path $WORK/nginx;
    proxy_temp_path $WORK/nginx;
    fastcgi_temp_path $WORK/nginx;
    uwsgi_temp_path $WORK/nginx;
    scgi_temp_path $WORK/nginx;
    # keep wrk's connections open for the whole run, like rama and hyper do
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { return 200 "hello"; }
    }
    server {
        listen 127.0.0.1:$NGINX_H2_PORT http2;
        http2_max_requests 1000000;
        location / { return 200 "hello"; }
    }
}
EOF

RUST_LOG=warn start "$RAMA_BIN" "127.0.0.1:$RAMA_PORT"
RAMA_PID=$LAST_PID
RUST_LOG=warn start "$RAMA_PC_BIN" --bind "127.0.0.1:$RAMA_PC_PORT"
RAMA_PC_PID=$LAST_PID
start "$HYPER_BIN" --bind "127.0.0.1:$HYPER_PORT"
HYPER_PID=$LAST_PID
start "$HYPER_BIN" --bind "127.0.0.1:$HYPER_PC_PORT" --per-core
HYPER_PC_PID=$LAST_PID
start "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
NGINX_PID=$LAST_PID
for port in "$RAMA_PORT" "$RAMA_PC_PORT" "$HYPER_PORT" "$HYPER_PC_PORT" "$NGINX_PORT" "$NGINX_H2_PORT"; do
    wait_port "$port"
done

declare -A H1_PORT=([rama]=$RAMA_PORT [rama-pc]=$RAMA_PC_PORT [hyper]=$HYPER_PORT [hyper-pc]=$HYPER_PC_PORT [nginx]=$NGINX_PORT)
declare -A H2_PORT=([rama]=$RAMA_PORT [rama-pc]=$RAMA_PC_PORT [hyper]=$HYPER_PORT [hyper-pc]=$HYPER_PC_PORT [nginx]=$NGINX_H2_PORT)
declare -A H1=() H2=()
SERVERS=(rama rama-pc hyper hyper-pc nginx)

run_wrk() { # "requests/s total-requests" of wrk against port $1
    wrk -t2 -c"$CONNS" -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$1/" |
        awk '/ requests in / {n = $1} /^Requests\/sec:/ {r = $2} END {printf "%.0f %d", r, n}'
}

run_h2load() { # "requests/s succeeded-requests" of h2load (h2c prior knowledge) against port $1
    h2load -t2 -c"$CONNS" -m"$STREAMS" -D"$SECONDS_PER_RUN" "http://127.0.0.1:$1/" 2>/dev/null |
        awk '/^finished in/ {gsub(",", ""); r = $4} /^requests:/ {n = $8} END {printf "%.0f %d", r, n}'
}

server_pids() { # the pids whose CPU and memory count for server $1
    case "$1" in
        rama) echo "$RAMA_PID" ;;
        rama-pc) echo "$RAMA_PC_PID" ;;
        hyper) echo "$HYPER_PID" ;;
        hyper-pc) echo "$HYPER_PC_PID" ;;
        nginx) echo "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true) ;;
    esac
}

measure() { # measure SERVER TOOL PORT: sets M_RATE, M_CPU (server CPU us per request)
    local before after out
    # shellcheck disable=SC2046 # a list of pids
    before=$(cpu_ticks $(server_pids "$1"))
    out=$("$2" "$3")
    # shellcheck disable=SC2046
    after=$(cpu_ticks $(server_pids "$1"))
    M_RATE=${out%% *}
    M_CPU=$(us_per $((after - before)) "${out##* }")
}

declare -A H1_CPU=() H2_CPU=()
echo "throughput: $ROUNDS round(s) of ${SECONDS_PER_RUN}s per server and protocol, $CONNS connections" >&2
for round in $(seq "$ROUNDS"); do
    # rotate the order each round
    shift_by=$(((round - 1) % ${#SERVERS[@]}))
    order=("${SERVERS[@]:$shift_by}" "${SERVERS[@]:0:$shift_by}")
    for server in "${order[@]}"; do
        measure "$server" run_wrk "${H1_PORT[$server]}"
        h1=$M_RATE h1_cpu=$M_CPU
        measure "$server" run_h2load "${H2_PORT[$server]}"
        h2=$M_RATE h2_cpu=$M_CPU
        echo "  round $round $server: HTTP/1.1 ${h1:-?} req/s (${h1_cpu} us CPU/req), h2c ${h2:-?} req/s (${h2_cpu} us CPU/req)" >&2
        H1[$server]=$(best "${H1[$server]:-}" "$h1")
        H2[$server]=$(best "${H2[$server]:-}" "$h2")
        H1_CPU[$server]=$(lowest "${H1_CPU[$server]:-}" "$h1_cpu")
        H2_CPU[$server]=$(lowest "${H2_CPU[$server]:-}" "$h2_cpu")
    done
done

rss_kib() { # summed VmRSS (KiB) of the given pids
    proc_sum status '/^VmRSS:/ {print $2}' "$@"
}

declare -A MEM=()
if [[ "$MEMORY" == 1 ]]; then
    echo "memory: $IDLE idle keep-alive HTTP/1.1 connections per server" >&2
    for server in "${SERVERS[@]}"; do
        # shellcheck disable=SC2046 # a list of pids
        before=$(rss_kib $(server_pids "$server"))
        fifo="$WORK/idle.$server"
        mkfifo "$fifo"
        "$IDLE_BIN" --to "127.0.0.1:${H1_PORT[$server]}" --conns "$IDLE" --hold 120 >"$fifo" 2>"$WORK/idle.$server.err" &
        idle_pid=$!
        PIDS+=("$idle_pid")
        if timeout 60 head -n1 "$fifo" | grep -q '^ready'; then
            sleep 1
            # shellcheck disable=SC2046
            after=$(rss_kib $(server_pids "$server"))
            MEM[$server]=$(awk -v a="$after" -v b="$before" -v n="$IDLE" 'BEGIN {printf "%.2f", (a - b) / n}')
            echo "  $server: RSS $before KiB -> $after KiB" >&2
        else
            echo "  $server: idle_conns did not get ready: $(cat "$WORK/idle.$server.err")" >&2
            MEM[$server]="?"
        fi
        kill "$idle_pid" 2>/dev/null || true
        wait "$idle_pid" 2>/dev/null || true
        sleep 1 # let the server see the closes
    done
fi


echo
echo "HTTP hello, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r)"
printf "%-9s %14s %12s %14s %12s %14s\n" server "HTTP/1.1 req/s" "us CPU/req" "h2c req/s" "us CPU/req" "KiB/idle conn"
for server in "${SERVERS[@]}"; do
    printf "%-9s %14s %12s %14s %12s %14s\n" "$server" "${H1[$server]:-?}" "${H1_CPU[$server]:-?}" \
        "${H2[$server]:-?}" "${H2_CPU[$server]:-?}" "${MEM[$server]:--}"
done
echo
# rama against hyper on the same runtime layout, and against nginx
for pair in "rama hyper" "rama-pc hyper-pc" "rama nginx" "rama-pc nginx"; do
    r=${pair% *} o=${pair#* }
    echo "$r/$o: throughput HTTP/1.1 $(ratio "${H1[$r]:-}" "${H1[$o]:-}"), h2c $(ratio "${H2[$r]:-}" "${H2[$o]:-}");" \
        "CPU per request $o/$r (> 1: rama cheaper) HTTP/1.1 $(ratio "${H1_CPU[$o]:-}" "${H1_CPU[$r]:-}"), h2c $(ratio "${H2_CPU[$o]:-}" "${H2_CPU[$r]:-}")"
done
