#!/usr/bin/env bash
# Reverse proxy benchmark on loopback: rama vs nginx vs haproxy, in front of the same origin,
# same run, same machine.
#
#   origin   nginx `return 200 "hello"` (worker_processes 1, its own port)
#   rama     `rama serve reverse --upstream http://ORIGIN` (release build of the CLI: one
#            single-threaded runtime per core sharing the listening socket; upstream
#            connections kept alive in the client pool)
#   nginx    `proxy_pass` to `upstream u { server ORIGIN; keepalive 64; }` with
#            `proxy_http_version 1.1; proxy_set_header Connection "";` (worker_processes 2)
#   haproxy  `mode http`, `http-reuse always`, `nbthread 2`
#
# Same work: each proxy adds the `Forwarded` element rama adds by default
# (`for=CLIENT;by="PROXY:PORT";host="HOST";proto=http`): nginx with `proxy_set_header
# Forwarded`, haproxy with `http-request set-header Forwarded` (before 2026-11-22 only rama
# added it, and the figures in bench/README.md up to then compare that extra work too).
#
# Load: wrk --latency, HTTP/1.1 keep-alive (default 64 connections on 2 threads), the same
# connections and duration for each proxy. Rounds rotate the order of the proxies; for each
# the best requests/s and the lowest p99 over the rounds are reported (the machine is shared
# and noisy), with the proxy's CPU time per request (user + system from /proc/PID/stat,
# steadier than req/s when the load generator shares the cores). Ratios: rama/nginx and
# rama/haproxy for requests/s (> 1: rama faster) and p99 (< 1: rama lower); then the median
# of each round's ratios, which a machine whose speed drifts between rounds moves less than
# the ratio of the best rounds.
#
# --h2-upstream adds two more proxies that speak h2 (prior knowledge) to the same origin,
# which then also listens for h2c: `rama serve reverse --upstream-version 2` (rama-h2) and
# haproxy's `server ... proto h2` (haproxy-h2); nginx's `proxy_pass` has no h2. For each the
# origin's CPU per request is printed too, since h2 moves work to the origin.
#
# usage: bench/reverse_proxy.sh [--rounds R] [--seconds S] [--conns C] [--threads T] [--h2-upstream]
#
# RAMA_BIN=path/to/rama uses that binary instead of building the release CLI.
# Installs wrk, nginx-light and haproxy with apt-get when missing. Stops everything it
# started on exit (KEEP_LOGS=1 keeps the logs). Ports: BENCH_PORT_BASE (default 29300) .. +3.
set -euo pipefail

ROUNDS=3
SECONDS_PER_RUN=6
CONNS=64
THREADS=2
H2_UPSTREAM=0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
        --conns) CONNS="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --h2-upstream) H2_UPSTREAM=1; shift ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

BASE="${BENCH_PORT_BASE:-29300}"
ORIGIN_PORT=$((BASE)); RAMA_PORT=$((BASE + 1)); NGINX_PORT=$((BASE + 2)); HAPROXY_PORT=$((BASE + 3))
ORIGIN_H2_PORT=$((BASE + 4)); RAMA_H2_PORT=$((BASE + 5)); HAPROXY_H2_PORT=$((BASE + 6))
WORK="$(mktemp -d)"
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT INT TERM
require_free_ports "$ORIGIN_PORT" "$RAMA_PORT" "$NGINX_PORT" "$HAPROXY_PORT"
if [[ "$H2_UPSTREAM" == 1 ]]; then
    require_free_ports "$ORIGIN_H2_PORT" "$RAMA_H2_PORT" "$HAPROXY_H2_PORT"
fi

install_missing wrk wrk
install_missing nginx nginx-light
install_missing haproxy haproxy
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

build_rama

# the origin
ORIGIN_H2_LISTEN=""
if [[ "$H2_UPSTREAM" == 1 ]]; then ORIGIN_H2_LISTEN="listen 127.0.0.1:$ORIGIN_H2_PORT http2;"; fi
nginx_conf "$WORK/origin" 1 "server { listen 127.0.0.1:$ORIGIN_PORT; $ORIGIN_H2_LISTEN location / { return 200 \"hello\"; } }"
start "$NGINX" -p "$WORK/origin" -c "$WORK/origin/nginx.conf" -e "$WORK/origin/error.log"
ORIGIN_PID=$LAST_PID

# nginx as a reverse proxy with a keep-alive upstream
nginx_conf "$WORK/nginx" 2 "upstream u { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://u;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Forwarded \"for=\$remote_addr;by=\\\"\$server_addr:\$server_port\\\";host=\\\"\$http_host\\\";proto=\$scheme\";
        }
    }"
start "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
NGINX_PID=$LAST_PID

cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread 2
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    http-reuse always
frontend front
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend origin
    http-request set-header Forwarded "for=%[src];by=\\"%[dst]:%[dst_port]\\";host=\\"%[req.hdr(host)]\\";proto=http"
backend origin
    server o1 127.0.0.1:$ORIGIN_PORT
EOF
if [[ "$H2_UPSTREAM" == 1 ]]; then
    cat >>"$WORK/haproxy.cfg" <<EOF
frontend front_h2
    bind 127.0.0.1:$HAPROXY_H2_PORT
    default_backend origin_h2
    http-request set-header Forwarded "for=%[src];by=\\"%[dst]:%[dst_port]\\";host=\\"%[req.hdr(host)]\\";proto=http"
backend origin_h2
    server o2 127.0.0.1:$ORIGIN_H2_PORT proto h2
EOF
fi
start "$HAPROXY" -f "$WORK/haproxy.cfg"
HAPROXY_PID=$LAST_PID

RUST_LOG=warn start "$RAMA_BIN" serve reverse --bind "127.0.0.1:$RAMA_PORT" \
    --upstream "http://127.0.0.1:$ORIGIN_PORT"
RAMA_PID=$LAST_PID

declare -A PORT=([rama]=$RAMA_PORT [nginx]=$NGINX_PORT [haproxy]=$HAPROXY_PORT)
PROXIES=(rama nginx haproxy)
if [[ "$H2_UPSTREAM" == 1 ]]; then
    RUST_LOG=warn start "$RAMA_BIN" serve reverse --bind "127.0.0.1:$RAMA_H2_PORT" \
        --upstream "http://127.0.0.1:$ORIGIN_H2_PORT" --upstream-version 2
    RAMA_H2_PID=$LAST_PID
    PORT[rama-h2]=$RAMA_H2_PORT
    PORT[haproxy-h2]=$HAPROXY_H2_PORT
    PROXIES+=(rama-h2 haproxy-h2)
fi

for port in "$ORIGIN_PORT" "${PORT[@]}"; do
    wait_port "$port"
done
for port in "${PORT[@]}"; do
    body=$(curl -sS --max-time 5 "http://127.0.0.1:$port/" || true)
    if [[ "$body" != hello ]]; then
        echo "127.0.0.1:$port does not proxy to the origin (got: $body)" >&2
        exit 1
    fi
done

proxy_pids() { # the pids whose CPU counts for proxy $1
    case "$1" in
        rama) echo "$RAMA_PID" ;;
        nginx) echo "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true) ;;
        haproxy | haproxy-h2) echo "$HAPROXY_PID" ;;
        rama-h2) echo "$RAMA_H2_PID" ;;
        origin) echo "$ORIGIN_PID" $(pgrep -P "$ORIGIN_PID" || true) ;;
    esac
}

run_wrk() { # "requests/s p99-ms total-requests non-2xx" of wrk against port $1
    wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER_RUN}s" --latency "http://127.0.0.1:$1/" | wrk_summary
}

declare -A RPS=() P99=() CPU=() ORIGIN_CPU=() ROUND_RPS=() RATIOS=()
echo "$ROUNDS round(s) of ${SECONDS_PER_RUN}s per proxy, $CONNS connections, $THREADS wrk threads" >&2
for round in $(seq "$ROUNDS"); do
    shift_by=$(((round - 1) % ${#PROXIES[@]}))
    order=("${PROXIES[@]:$shift_by}" "${PROXIES[@]:0:$shift_by}")
    for proxy in "${order[@]}"; do
        # shellcheck disable=SC2046 # a list of pids
        before=$(cpu_ticks $(proxy_pids "$proxy"))
        # shellcheck disable=SC2046
        origin_before=$(cpu_ticks $(proxy_pids origin))
        read -r rps p99 total _ < <(run_wrk "${PORT[$proxy]}")
        # shellcheck disable=SC2046
        after=$(cpu_ticks $(proxy_pids "$proxy"))
        # shellcheck disable=SC2046
        origin_after=$(cpu_ticks $(proxy_pids origin))
        cpu=$(us_per $((after - before)) "$total")
        origin_cpu=$(us_per $((origin_after - origin_before)) "$total")
        echo "  round $round $proxy: $rps req/s, p99 ${p99} ms, ${cpu} us CPU/req (origin ${origin_cpu})" >&2
        RPS[$proxy]=$(best "${RPS[$proxy]:-}" "$rps")
        P99[$proxy]=$(lowest "${P99[$proxy]:-}" "$p99")
        CPU[$proxy]=$(lowest "${CPU[$proxy]:-}" "$cpu")
        ORIGIN_CPU[$proxy]=$(lowest "${ORIGIN_CPU[$proxy]:-}" "$origin_cpu")
        ROUND_RPS[$proxy]=$rps
    done
    for other in nginx haproxy; do
        RATIOS[$other]+=" $(ratio "${ROUND_RPS[rama]}" "${ROUND_RPS[$other]}")"
    done
    if [[ "$H2_UPSTREAM" == 1 ]]; then
        RATIOS[rama-h2]+=" $(ratio "${ROUND_RPS[rama-h2]}" "${ROUND_RPS[rama]}")"
        RATIOS[haproxy-h2]+=" $(ratio "${ROUND_RPS[haproxy-h2]}" "${ROUND_RPS[haproxy]}")"
    fi
done

echo
echo "reverse proxy, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %10s %10s %12s %12s\n" proxy "req/s" "p99 ms" "us CPU/req" "origin's"
for proxy in "${PROXIES[@]}"; do
    printf "%-10s %10s %10s %12s %12s\n" "$proxy" "${RPS[$proxy]:-?}" "${P99[$proxy]:-?}" \
        "${CPU[$proxy]:-?}" "${ORIGIN_CPU[$proxy]:-?}"
done
echo
for other in nginx haproxy; do
    echo "rama/$other: req/s $(ratio "${RPS[rama]:-}" "${RPS[$other]:-}") (target >= 1.3 vs nginx)," \
        "p99 $(ratio "${P99[rama]:-}" "${P99[$other]:-}") (target <= 1)," \
        "CPU per request $(ratio "${CPU[rama]:-}" "${CPU[$other]:-}")"
    # shellcheck disable=SC2086 # the ratios, one word each
    echo "  median of the $ROUNDS rounds' rama/$other req/s: $(median ${RATIOS[$other]}) (each:${RATIOS[$other]})"
done
if [[ "$H2_UPSTREAM" == 1 ]]; then
    for h2 in rama haproxy; do
        echo "$h2-h2/$h2 (h2 vs HTTP/1.1 upstream): req/s $(ratio "${RPS[$h2-h2]:-}" "${RPS[$h2]:-}")," \
            "origin CPU per request $(ratio "${ORIGIN_CPU[$h2-h2]:-}" "${ORIGIN_CPU[$h2]:-}")"
        # shellcheck disable=SC2086
        echo "  median of the rounds: $(median ${RATIOS[$h2-h2]}) (each:${RATIOS[$h2-h2]})"
    done
fi
