#!/usr/bin/env bash
# TLS termination benchmark on loopback: rama (rustls, and optionally a second rama server such
# as the BoringSSL backend) vs nginx, same run, same machine,
# same certificate and key (a self-signed ECDSA P-256 one made by tls_term).
#
#   handshakes  wrk over HTTPS with `Connection: close`: every request opens a new TCP
#               connection and makes a full TLS 1.3 handshake (neither server keeps
#               sessions: rama without session storage or tickets, nginx with
#               `ssl_session_cache off; ssl_session_tickets off;`), so requests/s is
#               handshakes/s
#   bulk        wrk over keep-alive HTTPS fetching a 1 MiB response (`/bulk`), MiB/s
#
# Both servers: TLS 1.3 only, TLS_AES_128_GCM_SHA256, x25519, 2 workers (rama: one
# single-threaded runtime per core sharing the listener; nginx: worker_processes 2; BoringSSL
# picks its TLS 1.3 suite itself, in the client's order (AES-GCM first on CPUs with AES
# instructions), so the clients (wrk, openssl s_client) offer only TLS_AES_128_GCM_SHA256,
# through an OpenSSL config (OPENSSL_CONF, `Ciphersuites` in `system_default`). What
# each negotiated is checked with `openssl s_client` before the run (twice, the second time
# offering the first session: it must not be resumed) and printed.
# Rounds rotate the order of the servers; the best round of each is reported, because the
# machine is shared and noisy. Prints handshakes/s, server CPU time per handshake (user +
# system from /proc/PID/stat, summed over nginx's processes: steadier than the rate when
# the load generator shares the cores), MiB/s, CPU ms per GiB and the rama/nginx ratios.
#
# usage: bench/tls_termination.sh [--rounds R] [--seconds S] [--conns C] [--bulk-conns C]
#                                 [--rama 'CMD {bind} {cert} {key}'] [--rama2 NAME='CMD ...']
#                                 [--boring]
#
#   --rama    the command that starts rama's server; {bind} is replaced by 127.0.0.1:PORT,
#             {cert} and {key} by the PEM files both servers serve, {tls_term} by the path of
#             the tls_term the script builds (default: tls_term with rustls, named
#             rama-rustls; a custom command is named rama)
#   --rama2   a second rama server to measure alongside, NAME=CMD with the same placeholders
#   --boring  shorthand for --rama2 'rama-boring={tls_term} --backend boring --bind {bind}
#             --cert {cert} --key {key}' (tls_term's BoringSSL backend)
#
# tls_term is built with the `boring` feature of rama-bench (BoringSSL, a cmake build of
# several minutes the first time) when a command asks for `--backend boring`.
#
# Installs wrk and nginx-light with apt-get when missing. Stops everything it started on
# exit. Ports: BENCH_PORT_BASE (default 29200) .. +2.
set -euo pipefail

ROUNDS=3
SECONDS_PER_RUN=5
CONNS=32
BULK_CONNS=4
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TLS_TERM="$TARGET_DIR/release/tls_term"
RAMA_CMD="{tls_term} --bind {bind} --cert {cert} --key {key}"
RAMA_NAME=rama-rustls
RAMA2_NAME=""
RAMA2_CMD=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
        --conns) CONNS="$2"; shift 2 ;;
        --bulk-conns) BULK_CONNS="$2"; shift 2 ;;
        --rama) RAMA_CMD="$2"; RAMA_NAME=rama; shift 2 ;;
        --rama2) RAMA2_NAME="${2%%=*}"; RAMA2_CMD="${2#*=}"; shift 2 ;;
        --boring) RAMA2_NAME=rama-boring
            RAMA2_CMD="{tls_term} --backend boring --bind {bind} --cert {cert} --key {key}"; shift ;;
        -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
if [[ -n "$RAMA2_CMD" && ( -z "$RAMA2_NAME" || "$RAMA2_NAME" == "$RAMA2_CMD" ) ]]; then
    echo "--rama2 takes NAME=CMD" >&2
    exit 2
fi
if [[ "$RAMA2_NAME" == nginx || "$RAMA2_NAME" == "$RAMA_NAME" ]]; then
    echo "--rama2: the name $RAMA2_NAME is taken" >&2
    exit 2
fi

BASE="${BENCH_PORT_BASE:-29200}"
RAMA_PORT=$((BASE)); NGINX_PORT=$((BASE + 1)); RAMA2_PORT=$((BASE + 2))
WORK="$(mktemp -d)"
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT INT TERM
require_free_ports "$RAMA_PORT" "$NGINX_PORT" "$RAMA2_PORT"

install_missing wrk wrk
install_missing nginx nginx-light
install_missing openssl openssl
NGINX="$(command -v nginx)"

FEATURES=()
if [[ "$RAMA_CMD $RAMA2_CMD" == *"--backend boring"* ]]; then FEATURES=(--features boring); fi
echo "building release binaries ${FEATURES[*]}" >&2
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -q -p rama-bench "${FEATURES[@]}" --bin tls_term)

# one certificate and key for every server
"$TLS_TERM" --bind 127.0.0.1:0 --write-cert-dir "$WORK/cert" --threads 1 >"$WORK/certgen.log" 2>&1 &
CERTGEN=$!
for _ in $(seq 100); do [[ -s "$WORK/cert/key.pem" ]] && break; sleep 0.05; done
kill "$CERTGEN" 2>/dev/null || true
wait "$CERTGEN" 2>/dev/null || true
CERT="$WORK/cert/cert.pem" KEY="$WORK/cert/key.pem"
[[ -s "$KEY" ]] || { echo "tls_term did not write a certificate" >&2; exit 1; }

# the clients offer TLS_AES_128_GCM_SHA256 only: OpenSSL's default order puts AES-256-GCM
# first, and BoringSSL (unlike rustls and nginx here) cannot be told which TLS 1.3 suites to
# allow, it takes the client's first acceptable one
cat >"$WORK/openssl-client.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_section
[ssl_section]
system_default = system_default_section
[system_default_section]
Ciphersuites = TLS_AES_128_GCM_SHA256
EOF
CLIENT_OPENSSL_CONF="$WORK/openssl-client.cnf"

# nginx's workers run as another user when started as root: let them read the body file
chmod a+x "$WORK"
head -c $((1 << 20)) /dev/zero | tr '\0' x >"$WORK/bulk"
chmod a+r "$WORK/bulk"

rama_cmd() { # rama_cmd TEMPLATE PORT
    local cmd="${1//\{bind\}/127.0.0.1:$2}"
    cmd="${cmd//\{tls_term\}/$TLS_TERM}"
    cmd="${cmd//\{cert\}/$CERT}"
    echo "${cmd//\{key\}/$KEY}"
}

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
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl http2;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv1.3;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
        ssl_ecdh_curve X25519;
        # every connection a full handshake, as rama's tls_term
        ssl_session_cache off;
        ssl_session_tickets off;
        default_type text/plain;
        location = /bulk { alias $WORK/bulk; }
        location = /status { stub_status; }
        location / { return 200 "hello"; }
    }
}
EOF

# shellcheck disable=SC2046 # the command is split into words on purpose
RUST_LOG=warn start $(rama_cmd "$RAMA_CMD" "$RAMA_PORT")
RAMA_PID=$LAST_PID RAMA_LOG=$LAST_LOG
start "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
NGINX_PID=$LAST_PID
SERVERS=("$RAMA_NAME" nginx)
declare -A PORT=([$RAMA_NAME]=$RAMA_PORT [nginx]=$NGINX_PORT)
declare -A PID=([$RAMA_NAME]=$RAMA_PID [nginx]=$NGINX_PID)
declare -A LOG=([$RAMA_NAME]=$RAMA_LOG)
if [[ -n "$RAMA2_CMD" ]]; then
    # shellcheck disable=SC2046
    RUST_LOG=warn start $(rama_cmd "$RAMA2_CMD" "$RAMA2_PORT")
    LOG[$RAMA2_NAME]=$LAST_LOG
    SERVERS+=("$RAMA2_NAME")
    PORT[$RAMA2_NAME]=$RAMA2_PORT
    PID[$RAMA2_NAME]=$LAST_PID
fi
for server in "${SERVERS[@]}"; do wait_port "${PORT[$server]}"; done

server_pids() { # the pids whose CPU counts for server $1
    if [[ "$1" == nginx ]]; then echo "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true); else echo "${PID[$1]}"; fi
}

# what each server negotiates, and that a second connection offering the first one's
# session is not resumed
declare -A NEGOTIATED=()
for server in "${SERVERS[@]}"; do
    port="${PORT[$server]}" sess="$WORK/$server.session"
    # the input stays open a moment so that s_client reads a post-handshake session ticket
    first=$(sleep 0.5 | OPENSSL_CONF="$CLIENT_OPENSSL_CONF" openssl s_client -connect "127.0.0.1:$port" -servername localhost -CAfile "$CERT" \
        -sess_out "$sess" </dev/null 2>&1 || true)
    second=""
    if [[ -s "$sess" ]]; then
        second=$(sleep 0.5 | OPENSSL_CONF="$CLIENT_OPENSSL_CONF" openssl s_client -connect "127.0.0.1:$port" -servername localhost -CAfile "$CERT" \
            -sess_in "$sess" </dev/null 2>&1 || true)
    fi
    proto=$(awk '/^New, |^Reused, / {print $2, $NF; exit}' <<<"$first")
    group=$(awk -F': ' '/^Server Temp Key:/ {print $2; exit}' <<<"$first")
    verify=$(awk -F': ' '/Verify return code:/ {print $2; exit}' <<<"$first")
    if grep -q '^Reused, ' <<<"$second"; then again=resumed; elif grep -q '^New, ' <<<"$second"; then again="full handshake"
    elif [[ -z "$second" ]]; then again="none (no session ticket received)"; else again="?"; fi
    NEGOTIATED[$server]="$proto, $group; verify: $verify; second connection offering the session: $again"
    echo "  $server negotiates ${NEGOTIATED[$server]}" >&2
done


run_wrk() { # run_wrk handshake|bulk PORT -> "requests/s requests MiB/s errors"
    local args=(-t2 -c"$CONNS" -d"${SECONDS_PER_RUN}s") path=/
    if [[ "$1" == handshake ]]; then
        args+=(-H 'Connection: close')
    else
        args=(-t2 -c"$BULK_CONNS" -d"${SECONDS_PER_RUN}s") path=/bulk
    fi
    OPENSSL_CONF="$CLIENT_OPENSSL_CONF" wrk "${args[@]}" "https://127.0.0.1:$2$path" | awk '
        / requests in / {n = $1; b = $5}
        /^Requests\/sec:/ {r = $2}
        /^Transfer\/sec:/ {t = $2; u = t; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+$/, "", t)
            m = (u == "GB") ? t * 1024 : (u == "MB") ? t : (u == "KB") ? t / 1024 : t / 1048576}
        /Socket errors:|Non-2xx/ {e = e $0 ";"}
        END {printf "%.0f %d %.0f %s", r, n, m, (e == "" ? "-" : "!")}'
}

nginx_accepts() { # connections nginx accepted so far (stub_status; counts its own query)
    curl -sk "https://127.0.0.1:$NGINX_PORT/status" | awk 'NR == 3 {print $1}'
}

measure() { # measure SERVER handshake|bulk: sets M_RATE, M_COUNT, M_MIB, M_ERR, M_TICKS
    local before after out
    # shellcheck disable=SC2046 # a list of pids
    before=$(cpu_ticks $(server_pids "$1"))
    out=$(run_wrk "$2" "${PORT[$1]}")
    # shellcheck disable=SC2046
    after=$(cpu_ticks $(server_pids "$1"))
    read -r M_RATE M_COUNT M_MIB M_ERR <<<"$out"
    M_TICKS=$((after - before))
}


declare -A HS=() HS_CPU=() BULK=() BULK_CPU=() HS_REQUESTS=() HS_CONNS=()
echo "$ROUNDS round(s) of ${SECONDS_PER_RUN}s per server and test; handshakes: $CONNS connections, bulk: $BULK_CONNS" >&2
for round in $(seq "$ROUNDS"); do
    shift_by=$(((round - 1) % ${#SERVERS[@]}))
    order=("${SERVERS[@]:$shift_by}" "${SERVERS[@]:0:$shift_by}")
    for server in "${order[@]}"; do
        [[ "$server" == nginx ]] && accepts0=$(nginx_accepts)
        measure "$server" handshake
        if [[ "$server" == nginx ]]; then
            accepts1=$(nginx_accepts)
            HS_CONNS[nginx]=$(( ${HS_CONNS[nginx]:-0} + accepts1 - accepts0 - 1 ))
        fi
        HS_REQUESTS[$server]=$(( ${HS_REQUESTS[$server]:-0} + M_COUNT ))
        hs=$M_RATE
        hs_cpu=$(awk -v t="$M_TICKS" -v n="$M_COUNT" -v u="$TICK_US" 'BEGIN { if (n > 0) printf "%.1f", t * u / n; else print 0 }')
        hs_err=$M_ERR
        measure "$server" bulk
        mib=$M_MIB
        # CPU ms per GiB: ticks -> ms, bytes = MiB/s * seconds
        gib_cpu=$(awk -v t="$M_TICKS" -v m="$M_MIB" -v s="$SECONDS_PER_RUN" -v u="$TICK_US" 'BEGIN { if (m > 0) printf "%.0f", t * u / 1000 / (m * s / 1024); else print 0 }')
        echo "  round $round $server: ${hs} handshakes/s (${hs_cpu} us CPU each${hs_err/-/}), bulk ${mib} MiB/s (${gib_cpu} ms CPU/GiB${M_ERR/-/})" >&2
        HS[$server]=$(best "${HS[$server]:-}" "$hs")
        HS_CPU[$server]=$(lowest "${HS_CPU[$server]:-}" "$hs_cpu")
        BULK[$server]=$(best "${BULK[$server]:-}" "$mib")
        BULK_CPU[$server]=$(lowest "${BULK_CPU[$server]:-}" "$gib_cpu")
    done
done

# rama's own count of handshake kinds (printed by tls_term when it stops)
declare -A COUNTS=()
for server in "${SERVERS[@]}"; do
    [[ "$server" == nginx ]] && continue
    kill "${PID[$server]}" 2>/dev/null || true
    wait "${PID[$server]}" 2>/dev/null || true
    COUNTS[$server]=$(grep -h '^handshakes:' "${LOG[$server]}" 2>/dev/null || true)
done


echo
echo "TLS termination, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), $(nginx -v 2>&1 | sed 's/.*: //'), $(openssl version | cut -d' ' -f1-2), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
for server in "${SERVERS[@]}"; do echo "  $server: ${NEGOTIATED[$server]}"; done
echo "  one connection per request (tls_term's counts also include $ROUNDS x $BULK_CONNS bulk" \
    "connections, 2 openssl s_client, and up to $CONNS x $ROUNDS cut off at the end of a run):"
for server in "${SERVERS[@]}"; do
    if [[ "$server" == nginx ]]; then
        echo "    nginx: ${HS_REQUESTS[nginx]} requests, ${HS_CONNS[nginx]} connections accepted (stub_status)"
    else
        echo "    $server: wrk completed ${HS_REQUESTS[$server]} requests with 'Connection: close'," \
            "tls_term counted ${COUNTS[$server]:-?}"
    fi
done
printf "%-12s %13s %15s %10s %13s\n" server "handshakes/s" "us CPU/handsh." "bulk MiB/s" "ms CPU/GiB"
for server in "${SERVERS[@]}"; do
    printf "%-12s %13s %15s %10s %13s\n" "$server" "${HS[$server]:-?}" "${HS_CPU[$server]:-?}" "${BULK[$server]:-?}" "${BULK_CPU[$server]:-?}"
done
echo
for server in "${SERVERS[@]}"; do
    [[ "$server" == nginx ]] && continue
    echo "$server/nginx: handshakes/s $(ratio "${HS[$server]}" "${HS[nginx]}"), bulk MiB/s $(ratio "${BULK[$server]}" "${BULK[nginx]}");" \
        "CPU nginx/$server (> 1: $server cheaper) per handshake $(ratio "${HS_CPU[nginx]}" "${HS_CPU[$server]}"), per GiB $(ratio "${BULK_CPU[nginx]}" "${BULK_CPU[$server]}")"
done
