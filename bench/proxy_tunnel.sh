#!/usr/bin/env bash
# Tunnel throughput benchmark on loopback: bulk bytes through a SOCKS5 CONNECT or an HTTP
# CONNECT tunnel, against the same bytes direct and through other proxies, same run.
#
#   direct          the client writes into the sink itself
#   rama-socks5     `rama serve proxy` (HTTP + SOCKS5 on one port), SOCKS5 CONNECT
#   rama-connect    the same process, HTTP/1.1 CONNECT
#   haproxy         haproxy `mode tcp` in front of the sink (no handshake: a plain relay),
#                   nbthread 2
#   dante           danted, SOCKS5 CONNECT (no auth)
#   microsocks      microsocks, SOCKS5 CONNECT (no auth; a thread per connection)
#
# The sink is bench's `tcpbench sink` (reads and drops). The client is the same for every
# target: a small Python program (written to the work dir) that opens N connections, runs
# the SOCKS5 or CONNECT handshake when asked, then sends 256 KiB buffers for S seconds and
# reports bytes per second; so the ratios compare the proxies, not the clients. Rounds rotate
# the order; the median of each target is reported, with the proxy's CPU time per GiB (user +
# system from /proc/PID/stat; dante's is its main process only, so it is left out).
#
# usage: bench/proxy_tunnel.sh [--rounds R] [--seconds S] [--conns N]
#
# RAMA_BIN=path/to/rama skips the release build of the CLI and uses that binary.
# Stops everything it started on exit (KEEP_LOGS=1 keeps the logs). Ports: BENCH_PORT_BASE
# (default 29700) .. +4.
set -euo pipefail

ROUNDS=3
SECONDS_PER_RUN=3
CONNS=4
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
        --conns) CONNS="$2"; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

BASE="${BENCH_PORT_BASE:-29700}"
SINK=$BASE; RAMA=$((BASE + 1)); HAP=$((BASE + 2)); DANTE=$((BASE + 3)); MICRO=$((BASE + 4))
WORK="$(mktemp -d)"
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT INT TERM
require_free_ports "$SINK" "$RAMA" "$HAP" "$DANTE" "$MICRO"

for tool in haproxy python3; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done
[[ -x /usr/sbin/danted ]] || { echo "/usr/sbin/danted (dante-server) is required" >&2; exit 1; }
[[ -x /usr/bin/microsocks ]] || { echo "/usr/bin/microsocks is required" >&2; exit 1; }

if [[ -z "${RAMA_BIN:-}" ]]; then
    echo "building release binaries" >&2
    (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -q -p rama-bench --bin tcpbench && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -q -p rama-cli --bin rama)
    RAMA_BIN="$TARGET_DIR/release/rama"
else
    (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -q -p rama-bench --bin tcpbench)
fi
TCPBENCH="$TARGET_DIR/release/tcpbench"

cat >"$WORK/tunnel_client.py" <<'PY'
"""Bulk sender: N connections, optional SOCKS5 / HTTP CONNECT handshake, S seconds."""
import socket, struct, sys, threading, time

mode, proxy, target, conns, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
phost, pport = proxy.rsplit(":", 1)
thost, tport = target.rsplit(":", 1)
CHUNK = b"\x5a" * (256 * 1024)

def read_exact(s, n):
    out = b""
    while len(out) < n:
        part = s.recv(n - len(out))
        if not part:
            raise EOFError("proxy closed during the handshake")
        out += part
    return out

def handshake(s):
    if mode == "socks5":
        s.sendall(b"\x05\x01\x00")
        if read_exact(s, 2) != b"\x05\x00":
            raise RuntimeError("no-auth refused")
        s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton(thost) + struct.pack(">H", int(tport)))
        head = read_exact(s, 4)
        if head[1] != 0:
            raise RuntimeError(f"SOCKS5 reply {head[1]}")
        atyp = head[3]
        addr_len = 4 if atyp == 1 else 16 if atyp == 4 else read_exact(s, 1)[0]
        read_exact(s, addr_len + 2)  # BND.ADDR, BND.PORT
    elif mode == "connect":
        s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += read_exact(s, 1)
        if b" 200" not in head.split(b"\r\n")[0]:
            raise RuntimeError(head.split(b"\r\n")[0].decode())

totals = [0] * conns
errors = []

def run(i, deadline):
    try:
        s = socket.create_connection((phost, int(pport)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handshake(s)
        while time.monotonic() < deadline:
            s.sendall(CHUNK)
            totals[i] += len(CHUNK)
        s.close()
    except Exception as e:  # reported below
        errors.append(repr(e))

start = time.monotonic()
deadline = start + seconds
threads = [threading.Thread(target=run, args=(i, deadline)) for i in range(conns)]
for t in threads: t.start()
for t in threads: t.join(seconds + 30)
elapsed = time.monotonic() - start
if errors:
    print(f"errors: {errors[:3]}", file=sys.stderr)
    sys.exit(1)
rate = sum(totals) / elapsed
print(f"{mode} via {proxy}: {sum(totals) / 1048576:.0f} MiB in {elapsed:.2f}s = {rate / 1048576:.0f} MiB/s")
print(f"result={rate:.0f}")
PY

start "$TCPBENCH" sink --bind "127.0.0.1:$SINK"
start "$RAMA_BIN" serve proxy --bind "127.0.0.1:$RAMA"
RAMA_PID=$LAST_PID
cat >"$WORK/haproxy.cfg" <<CFG
global
  nbthread 2
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen bulk
  bind 127.0.0.1:$HAP
  server sink 127.0.0.1:$SINK
CFG
start haproxy -db -f "$WORK/haproxy.cfg"
HAP_PID=$LAST_PID
cat >"$WORK/danted.conf" <<CFG
logoutput: stderr
internal: 127.0.0.1 port = $DANTE
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 command: connect }
CFG
start /usr/sbin/danted -f "$WORK/danted.conf" -p "$WORK/danted.pid"
start /usr/bin/microsocks -i 127.0.0.1 -p "$MICRO"
MICRO_PID=$LAST_PID
for port in "$SINK" "$RAMA" "$HAP" "$DANTE" "$MICRO"; do wait_port "$port"; done

# target -> "MODE PROXY_PORT CPU_PID"
declare -A SETUP=(
    [direct]="direct $SINK -"
    [rama-socks5]="socks5 $RAMA $RAMA_PID"
    [rama-connect]="connect $RAMA $RAMA_PID"
    [haproxy]="direct $HAP $HAP_PID"
    [dante]="socks5 $DANTE -"
    [microsocks]="socks5 $MICRO $MICRO_PID"
)
TARGETS=(direct rama-socks5 rama-connect haproxy dante microsocks)
declare -A RESULTS=() COSTS=()
CLK_TCK=$(getconf CLK_TCK)

measure() { # measure TARGET -> "RATE COST"
    local mode port pid out rate t0 t1 c0=0 c1=0 cost=-
    read -r mode port pid <<<"${SETUP[$1]}"
    t0=$(date +%s.%N)
    [[ "$pid" != - ]] && c0=$(cpu_ticks "$pid")
    out=$(python3 "$WORK/tunnel_client.py" "$mode" "127.0.0.1:$port" "127.0.0.1:$SINK" "$CONNS" "$SECONDS_PER_RUN")
    t1=$(date +%s.%N)
    [[ "$pid" != - ]] && c1=$(cpu_ticks "$pid")
    rate=$(sed -n 's/^result=//p' <<<"$out")
    if [[ "$pid" != - ]]; then
        cost=$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v r="$rate" -v t0="$t0" -v t1="$t1" \
            'BEGIN { work = r * (t1 - t0); if (work <= 0) { print "-"; exit }
                     printf "%.0f", (c / hz) * 1000 / (work / 1073741824) }')
    fi
    echo "  $1: $(head -n1 <<<"$out") | proxy CPU ms/GiB: $cost" >&2
    echo "$rate $cost"
}

for round in $(seq "$ROUNDS"); do
    shift_by=$(((round - 1) % ${#TARGETS[@]}))
    order=("${TARGETS[@]:$shift_by}" "${TARGETS[@]:0:$shift_by}")
    echo "round $round/$ROUNDS (${order[*]})" >&2
    for target in "${order[@]}"; do
        read -r rate cost < <(measure "$target")
        RESULTS[$target]+="$rate "
        COSTS[$target]+="$cost "
    done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | grep -v '^-$' | sort -n | awk '{v[NR]=$1} END {if (NR == 0) print "-"; else print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
mib() { awk -v v="$1" 'BEGIN {printf "%.0f", v / 1048576}'; }

echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -sr), haproxy $(haproxy -v | head -n1 | awk '{print $3}'), $(/usr/sbin/danted -v 2>&1 | head -n1 | awk '{print $1, $2}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median of $ROUNDS rounds of ${SECONDS_PER_RUN}s; $CONNS connections, 256 KiB writes"
echo
printf '| %-13s | %8s | %13s | %13s | %11s | %11s |\n' target "MiB/s" "CPU ms/GiB" "x direct" "rama-socks5/x" "rama-connect/x"
printf '|%s|%s|%s|%s|%s|%s|\n' --------------- ---------- --------------- --------------- ------------- -------------
rs=$(median "${RESULTS[rama-socks5]}")
rc=$(median "${RESULTS[rama-connect]}")
d=$(median "${RESULTS[direct]}")
for target in "${TARGETS[@]}"; do
    r=$(median "${RESULTS[$target]}")
    printf '| %-13s | %8s | %13s | %13s | %11s | %11s |\n' "$target" "$(mib "$r")" "$(median "${COSTS[$target]}")" \
        "$(ratio "$r" "$d")" "$(ratio "$rs" "$r")" "$(ratio "$rc" "$r")"
done
