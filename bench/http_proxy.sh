#!/usr/bin/env bash
# Forward proxy benchmark on loopback: rama's absolute-form HTTP forward proxy against nginx
# as a reverse proxy (`proxy_pass`), both in front of the same origin, same run, same machine.
#
#   origin   nginx `return 200 "hello"` (worker_processes 1, its own instance and port)
#   rama     `rama serve proxy` (release build of the CLI: HTTP + SOCKS5 on one port, one
#            single-threaded runtime per core; upstream connections pooled by the client).
#            wrk sends absolute-form requests (`GET http://ORIGIN/ HTTP/1.1`): a Lua script
#            sets `wrk.path` to the origin's absolute URL
#   nginx    `proxy_pass` to `upstream u { server ORIGIN; keepalive 64; }` with
#            `proxy_http_version 1.1; proxy_set_header Connection "";` (worker_processes 2)
#   direct   the origin without a proxy, for scale
#
# Load: wrk --latency, HTTP/1.1 keep-alive (default 64 connections on 2 threads). Rounds
# rotate the order; for each the best requests/s and the lowest p99 over the rounds are
# reported (the machine is shared and noisy), with the proxy's CPU time per request (user +
# system from /proc/PID/stat). Ratio rama/nginx for requests/s (> 1: rama faster) and p99
# (< 1: rama lower); then the median of each round's rama/nginx ratio, which a machine whose
# speed drifts between rounds moves less than the ratio of the best rounds.
#
# usage: bench/http_proxy.sh [--rounds R] [--seconds S] [--conns C] [--threads T]
#
# RAMA_BIN=path/to/rama skips the release build and uses that binary.
# UPSTREAM_RAMA_BIN=path/to/rama adds the upstream project's CLI (`rama serve proxy`, e.g.
# from `cargo install --locked --ignore-rust-version rama-cli@0.4.0 --root DIR`) as a third
# proxy, also driven with absolute-form requests.
# Installs wrk and nginx-light with apt-get when missing. Stops everything it started on exit
# (KEEP_LOGS=1 keeps the logs). Ports: BENCH_PORT_BASE (default 29500) .. +2.
set -euo pipefail

ROUNDS=3
SECONDS_PER_RUN=6
CONNS=64
THREADS=2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
        --conns) CONNS="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

BASE="${BENCH_PORT_BASE:-29500}"
ORIGIN_PORT=$((BASE)); RAMA_PORT=$((BASE + 1)); NGINX_PORT=$((BASE + 2)); UPSTREAM_PORT=$((BASE + 3))
WORK="$(mktemp -d)"
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT INT TERM
require_free_ports "$ORIGIN_PORT" "$RAMA_PORT" "$NGINX_PORT" "$UPSTREAM_PORT"

install_missing wrk wrk
install_missing nginx nginx-light
NGINX="$(command -v nginx)"

build_rama

nginx_conf "$WORK/origin" 1 "server { listen 127.0.0.1:$ORIGIN_PORT; location / { return 200 \"hello\"; } }"
nginx_conf "$WORK/reverse" 2 "upstream u { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
    }"

start "$NGINX" -p "$WORK/origin" -c "$WORK/origin/nginx.conf" -e "$WORK/origin/error.log"
start "$NGINX" -p "$WORK/reverse" -c "$WORK/reverse/nginx.conf" -e "$WORK/reverse/error.log"
NGINX_PID=$LAST_PID
RUST_LOG=warn start "$RAMA_BIN" serve proxy --bind "127.0.0.1:$RAMA_PORT"
RAMA_PID=$LAST_PID
PORTS=("$ORIGIN_PORT" "$RAMA_PORT" "$NGINX_PORT")
PROXIES=(rama nginx direct)
if [[ -n "${UPSTREAM_RAMA_BIN:-}" ]]; then
    RUST_LOG=warn start "$UPSTREAM_RAMA_BIN" serve proxy --bind "127.0.0.1:$UPSTREAM_PORT"
    UPSTREAM_PID=$LAST_PID
    PORTS+=("$UPSTREAM_PORT")
    PROXIES+=(upstream)
fi
for port in "${PORTS[@]}"; do
    wait_port "$port"
done

# absolute-form requests to the origin, sent to whatever wrk connects to
cat >"$WORK/absolute.lua" <<EOF
wrk.path = "http://127.0.0.1:$ORIGIN_PORT/"
EOF

# a sanity check before measuring: each path answers the origin's body
check() { # check LABEL CURL-ARGS...
    local label="$1" body
    shift
    body=$(curl -sS --max-time 5 "$@") || { echo "$label: request failed" >&2; exit 1; }
    [[ "$body" == hello ]] || { echo "$label: unexpected body: $body" >&2; exit 1; }
}
check rama -x "http://127.0.0.1:$RAMA_PORT" "http://127.0.0.1:$ORIGIN_PORT/"
check nginx "http://127.0.0.1:$NGINX_PORT/"
if [[ -n "${UPSTREAM_RAMA_BIN:-}" ]]; then
    check upstream -x "http://127.0.0.1:$UPSTREAM_PORT" "http://127.0.0.1:$ORIGIN_PORT/"
fi

run_wrk() { # run_wrk PORT [LUA]: "requests/s p99-ms total-requests non-2xx"
    local script=()
    if [[ -n "${2:-}" ]]; then script=(-s "$2"); fi
    wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER_RUN}s" --latency "${script[@]}" "http://127.0.0.1:$1/" | wrk_summary
}

proxy_pids() {
    case "$1" in
        rama) echo "$RAMA_PID" ;;
        nginx) echo "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true) ;;
        upstream) echo "${UPSTREAM_PID:-}" ;;
        direct) echo "" ;;
    esac
}

declare -A RATE=() P99=() CPU=() ROUND_RATE=()
RATIOS=""
echo "$ROUNDS round(s) of ${SECONDS_PER_RUN}s per proxy, $CONNS connections on $THREADS threads" >&2
for round in $(seq "$ROUNDS"); do
    shift_by=$(((round - 1) % ${#PROXIES[@]}))
    order=("${PROXIES[@]:$shift_by}" "${PROXIES[@]:0:$shift_by}")
    for proxy in "${order[@]}"; do
        # shellcheck disable=SC2046 # a list of pids
        before=$(cpu_ticks $(proxy_pids "$proxy"))
        case "$proxy" in
            rama) out=$(run_wrk "$RAMA_PORT" "$WORK/absolute.lua") ;;
            nginx) out=$(run_wrk "$NGINX_PORT") ;;
            upstream) out=$(run_wrk "$UPSTREAM_PORT" "$WORK/absolute.lua") ;;
            direct) out=$(run_wrk "$ORIGIN_PORT") ;;
        esac
        # shellcheck disable=SC2046
        after=$(cpu_ticks $(proxy_pids "$proxy"))
        read -r rate p99 total bad <<<"$out"
        if [[ "${bad:-0}" -gt 0 ]]; then
            echo "  round $round $proxy: $bad non-2xx answers: the run does not count" >&2
            continue
        fi
        cpu=$(us_per $((after - before)) "$total")
        echo "  round $round $proxy: $rate req/s, p99 ${p99} ms, ${cpu} us CPU/req" >&2
        if [[ "$rate" -gt "${RATE[$proxy]:-0}" ]]; then RATE[$proxy]=$rate; fi
        P99[$proxy]=$(lowest "${P99[$proxy]:-}" "$p99")
        CPU[$proxy]=$(lowest "${CPU[$proxy]:-}" "$cpu")
        ROUND_RATE[$proxy]=$rate
    done
    if [[ -n "${ROUND_RATE[rama]:-}" && -n "${ROUND_RATE[nginx]:-}" ]]; then
        RATIOS+=" $(ratio "${ROUND_RATE[rama]}" "${ROUND_RATE[nginx]}")"
    fi
    ROUND_RATE=()
done

echo
echo "HTTP forward proxy (absolute-form) vs nginx proxy_pass, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r)"
printf "%-8s %10s %10s %12s\n" proxy "req/s" "p99 ms" "us CPU/req"
for proxy in "${PROXIES[@]}"; do
    printf "%-8s %10s %10s %12s\n" "$proxy" "${RATE[$proxy]:-?}" "${P99[$proxy]:-?}" "${CPU[$proxy]:--}"
done
echo
echo "rama/nginx: req/s $(ratio "${RATE[rama]:-}" "${RATE[nginx]:-}"), p99 $(ratio "${P99[rama]:-}" "${P99[nginx]:-}")"
# shellcheck disable=SC2086 # the ratios, one word each
echo "  median of the rounds' rama/nginx req/s: $(median $RATIOS) (each:$RATIOS)"
if [[ -n "${UPSTREAM_RAMA_BIN:-}" ]]; then
    echo "rama/upstream rama CLI: req/s $(ratio "${RATE[rama]:-}" "${RATE[upstream]:-}"), p99 $(ratio "${P99[rama]:-}" "${P99[upstream]:-}")"
fi
