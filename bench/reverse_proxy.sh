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
# Load: wrk --latency, HTTP/1.1 keep-alive (default 64 connections on 2 threads), the same
# connections and duration for each proxy. Rounds rotate the order of the proxies; for each
# the best requests/s and the lowest p99 over the rounds are reported (the machine is shared
# and noisy), with the proxy's CPU time per request (user + system from /proc/PID/stat,
# steadier than req/s when the load generator shares the cores). Ratios: rama/nginx and
# rama/haproxy for requests/s (> 1: rama faster) and p99 (< 1: rama lower).
#
# usage: bench/reverse_proxy.sh [--rounds R] [--seconds S] [--conns C] [--threads T]
#
# RAMA_BIN=path/to/rama uses that binary instead of building the release CLI.
# Installs wrk, nginx-light and haproxy with apt-get when missing. Stops everything it
# started on exit (KEEP_LOGS=1 keeps the logs). Ports: BENCH_PORT_BASE (default 29300) .. +3.
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
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

BASE="${BENCH_PORT_BASE:-29300}"
ORIGIN_PORT=$((BASE)); RAMA_PORT=$((BASE + 1)); NGINX_PORT=$((BASE + 2)); HAPROXY_PORT=$((BASE + 3))
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ "${KEEP_LOGS:-0}" == 1 ]]; then echo "logs in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

install_missing() { # install_missing COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "installing $2 (Debian package, for $1)" >&2
        apt-get install -y "$2" >/dev/null || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }
    fi
}
install_missing wrk wrk
install_missing nginx nginx-light
install_missing haproxy haproxy
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [[ -n "${RAMA_BIN:-}" ]]; then
    echo "using RAMA_BIN=$RAMA_BIN (not rebuilt)" >&2
else
    echo "building the release CLI" >&2
    (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -q -p rama-cli --bin rama)
    RAMA_BIN="$TARGET_DIR/release/rama"
fi

start() { # start NAME CMD...: in the background, log to $WORK/NAME.log, pid in LAST_PID
    local name="$1"
    shift
    "$@" >"$WORK/$name.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

wait_port() { # wait until something listens on 127.0.0.1:$1
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "nothing listens on 127.0.0.1:$1 (logs: KEEP_LOGS=1)" >&2
    exit 1
}

nginx_conf() { # nginx_conf DIR WORKERS SERVER-BLOCK...
    local dir="$1" workers="$2"
    shift 2
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $workers;
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir;
    proxy_temp_path $dir;
    fastcgi_temp_path $dir;
    uwsgi_temp_path $dir;
    scgi_temp_path $dir;
    keepalive_requests 1000000;
    $*
}
EOF
}

# the origin
nginx_conf "$WORK/origin" 1 "server { listen 127.0.0.1:$ORIGIN_PORT; location / { return 200 \"hello\"; } }"
start origin "$NGINX" -p "$WORK/origin" -c "$WORK/origin/nginx.conf" -e "$WORK/origin/error.log"

# nginx as a reverse proxy with a keep-alive upstream
nginx_conf "$WORK/nginx" 2 "upstream u { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://u;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
start nginx "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
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
backend origin
    server o1 127.0.0.1:$ORIGIN_PORT
EOF
start haproxy "$HAPROXY" -f "$WORK/haproxy.cfg"
HAPROXY_PID=$LAST_PID

RUST_LOG=warn start rama "$RAMA_BIN" serve reverse --bind "127.0.0.1:$RAMA_PORT" \
    --upstream "http://127.0.0.1:$ORIGIN_PORT"
RAMA_PID=$LAST_PID

for port in "$ORIGIN_PORT" "$RAMA_PORT" "$NGINX_PORT" "$HAPROXY_PORT"; do
    wait_port "$port"
done
for port in "$RAMA_PORT" "$NGINX_PORT" "$HAPROXY_PORT"; do
    body=$(curl -sS --max-time 5 "http://127.0.0.1:$port/" || true)
    if [[ "$body" != hello ]]; then
        echo "127.0.0.1:$port does not proxy to the origin (got: $body)" >&2
        exit 1
    fi
done

declare -A PORT=([rama]=$RAMA_PORT [nginx]=$NGINX_PORT [haproxy]=$HAPROXY_PORT)
PROXIES=(rama nginx haproxy)

cpu_ticks() { # user + system CPU time of the given pids (all threads), in clock ticks
    local total=0 pid t
    for pid in "$@"; do
        t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

proxy_pids() { # the pids whose CPU counts for proxy $1
    case "$1" in
        rama) echo "$RAMA_PID" ;;
        nginx) echo "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true) ;;
        haproxy) echo "$HAPROXY_PID" ;;
    esac
}

TICK_US=$((1000000 / $(getconf CLK_TCK)))

run_wrk() { # "requests/s p99-ms total-requests" of wrk against port $1
    wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER_RUN}s" --latency "http://127.0.0.1:$1/" |
        awk '
            function ms(v) {
                if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
                if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
                if (v ~ /s$/) { sub(/s$/, "", v); return v * 1000 }
                return v + 0
            }
            / requests in / {n = $1}
            /^Requests\/sec:/ {r = $2}
            $1 == "99%" {p = ms($2)}
            END {printf "%.0f %.3f %d\n", r, p, n}'
}

best() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (b > a ? b : a) }'; }
lowest() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && (b == 0 || a < b)) print a; else print b }'; }

declare -A RPS=() P99=() CPU=()
echo "$ROUNDS round(s) of ${SECONDS_PER_RUN}s per proxy, $CONNS connections, $THREADS wrk threads" >&2
for round in $(seq "$ROUNDS"); do
    shift_by=$(((round - 1) % ${#PROXIES[@]}))
    order=("${PROXIES[@]:$shift_by}" "${PROXIES[@]:0:$shift_by}")
    for proxy in "${order[@]}"; do
        # shellcheck disable=SC2046 # a list of pids
        before=$(cpu_ticks $(proxy_pids "$proxy"))
        read -r rps p99 total < <(run_wrk "${PORT[$proxy]}")
        # shellcheck disable=SC2046
        after=$(cpu_ticks $(proxy_pids "$proxy"))
        cpu=$(awk -v t=$((after - before)) -v n="$total" -v u="$TICK_US" 'BEGIN { if (n > 0) printf "%.2f", t * u / n; else print 0 }')
        echo "  round $round $proxy: $rps req/s, p99 ${p99} ms, ${cpu} us CPU/req" >&2
        RPS[$proxy]=$(best "${RPS[$proxy]:-}" "$rps")
        P99[$proxy]=$(lowest "${P99[$proxy]:-}" "$p99")
        CPU[$proxy]=$(lowest "${CPU[$proxy]:-}" "$cpu")
    done
done

ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "?" }'; }

echo
echo "reverse proxy, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %10s %10s %12s\n" proxy "req/s" "p99 ms" "us CPU/req"
for proxy in "${PROXIES[@]}"; do
    printf "%-8s %10s %10s %12s\n" "$proxy" "${RPS[$proxy]:-?}" "${P99[$proxy]:-?}" "${CPU[$proxy]:-?}"
done
echo
for other in nginx haproxy; do
    echo "rama/$other: req/s $(ratio "${RPS[rama]:-}" "${RPS[$other]:-}") (target >= 1.3 vs nginx)," \
        "p99 $(ratio "${P99[rama]:-}" "${P99[$other]:-}") (target <= 1)," \
        "CPU per request $(ratio "${CPU[rama]:-}" "${CPU[$other]:-}")"
done
