#!/usr/bin/env bash
# MITM proxy benchmark on loopback: rama's MITM (the http_mitm_proxy example) vs mitmproxy
# (mitmdump), same run, same HTTPS origin (nginx, TLS with a local CA, h2 + HTTP/1.1,
# keep-alive), same load generator.
#
# The load generator (rama-bench's mitm_load) opens each connection with CONNECT through the
# proxy, then TLS trusting the proxy's CA, and keeps its connections alive: so requests/s
# measure decrypting, inspecting and forwarding requests, not handshakes. Each proxy keeps
# its own pooled TLS connections to nginx. rama verifies nginx's certificate (the origin CA
# is given with --upstream-ca); mitmdump runs with ssl_insecure=true (it does not).
#
# usage: bench/mitm_proxy.sh [--rounds R] [--seconds S] [--concurrency C] [--h2]
#
# Installs mitmproxy into a venv under /tmp (pip) and nginx with apt-get when missing.
# Rounds rotate the order of the proxies; the median of each is reported with the ratio.
# Stops everything it started on exit. Ports: BENCH_PORT_BASE (default 29300) .. +2.
set -euo pipefail

ROUNDS=3
SECONDS_PER_RUN=5
CONCURRENCY=16
H2=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
        --concurrency) CONCURRENCY="$2"; shift 2 ;;
        --h2) H2="--h2"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BASE="${BENCH_PORT_BASE:-29300}"
ORIGIN_PORT=$((BASE)); RAMA_PORT=$((BASE + 1)); MITMDUMP_PORT=$((BASE + 2))
VENV="${MITM_VENV:-/tmp/rama-bench-mitmproxy-venv}"
WORK="$(mktemp -d /tmp/rama-bench-mitm.XXXXXX)"
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT INT TERM
require_free_ports "$ORIGIN_PORT" "$RAMA_PORT" "$MITMDUMP_PORT"

# --- peers ---------------------------------------------------------------------------------
if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
    apt-get install -y nginx-light >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x "$VENV/bin/mitmdump" ]]; then
    echo "installing mitmproxy into $VENV (pip)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python3" -m pip install -q mitmproxy
fi

echo "building (release): http_mitm_proxy, mitm_load" >&2
(cd "$ROOT" && cargo build --release -q -p rama-examples --bin http_mitm_proxy \
    && cargo build --release -q -p rama-bench --bin mitm_load)

# --- origin: nginx over TLS with a local CA --------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=bench origin CA" -keyout "$WORK/origin-ca.key" -out "$WORK/origin-ca.pem" \
    2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$WORK/origin.key" -out "$WORK/origin.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$WORK/san.ext"
openssl x509 -req -in "$WORK/origin.csr" -CA "$WORK/origin-ca.pem" \
    -CAkey "$WORK/origin-ca.key" -CAcreateserial -days 2 -extfile "$WORK/san.ext" \
    -out "$WORK/origin.pem" 2>/dev/null
cat > "$WORK/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    fastcgi_temp_path $WORK/fastcgi;
    uwsgi_temp_path $WORK/uwsgi;
    scgi_temp_path $WORK/scgi;
    server {
        listen 127.0.0.1:$ORIGIN_PORT ssl http2;
        ssl_certificate $WORK/origin.pem;
        ssl_certificate_key $WORK/origin.key;
        location / { default_type text/plain; return 200 "hello from the origin\n"; }
    }
}
EOF
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" &
PIDS+=($!)
wait_port "$ORIGIN_PORT" nginx

# --- the proxies ------------------------------------------------------------------------------
RUST_LOG=warn "$TARGET_DIR/release/http_mitm_proxy" "127.0.0.1:$RAMA_PORT" "$WORK/rama-ca" \
    --upstream-ca "$WORK/origin-ca.pem" > "$WORK/rama.out" 2> "$WORK/rama.log" &
PIDS+=($!)
wait_port "$RAMA_PORT" "rama http_mitm_proxy"

"$VENV/bin/mitmdump" --listen-host 127.0.0.1 -p "$MITMDUMP_PORT" --set ssl_insecure=true \
    --set confdir="$WORK/mitmproxy" -q > "$WORK/mitmdump.log" 2>&1 &
PIDS+=($!)
wait_port "$MITMDUMP_PORT" mitmdump

URL="https://localhost:$ORIGIN_PORT/"
declare -A CA=( [rama]="$WORK/rama-ca/ca.pem" [mitmproxy]="$WORK/mitmproxy/mitmproxy-ca-cert.pem" )
declare -A PORT=( [rama]=$RAMA_PORT [mitmproxy]=$MITMDUMP_PORT )
declare -A RPS=( [rama]="" [mitmproxy]="" )

load() { # name seconds
    "$TARGET_DIR/release/mitm_load" --proxy "127.0.0.1:${PORT[$1]}" --url "$URL" \
        --cacert "${CA[$1]}" --concurrency "$CONCURRENCY" --seconds "$2" $H2
}

# a check that each answers, and a warm-up
for name in rama mitmproxy; do
    out=$(load "$name" 1)
    echo "warm-up $name: $out" >&2
done

order=(rama mitmproxy)
for round in $(seq 1 "$ROUNDS"); do
    for name in "${order[@]}"; do
        out=$(load "$name" "$SECONDS_PER_RUN")
        rps=$(awk '{for (i = 1; i < NF; i++) if ($i == "rps") print $(i + 1)}' <<< "$out")
        errors=$(awk '{for (i = 1; i < NF; i++) if ($i == "errors") print $(i + 1)}' <<< "$out")
        echo "round $round $name: $rps req/s ($errors errors)" >&2
        RPS[$name]+="$rps "
    done
    order=("${order[1]}" "${order[0]}")
done

median() { tr ' ' '\n' <<< "$1" | grep -v '^$' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
rama=$(median "${RPS[rama]}")
mitm=$(median "${RPS[mitmproxy]}")
proto=HTTP/1.1; [[ -n "$H2" ]] && proto=h2
echo
echo "MITM requests/s, $proto, $CONCURRENCY concurrent, keep-alive, median of $ROUNDS x ${SECONDS_PER_RUN}s"
printf '%-12s %10s\n' proxy req/s
printf '%-12s %10s\n' rama "$rama" mitmproxy "$mitm"
awk -v r="$rama" -v m="$mitm" 'BEGIN { if (m > 0) printf "rama/mitmproxy: %.1fx\n", r / m }'
