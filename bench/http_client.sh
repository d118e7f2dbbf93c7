#!/usr/bin/env bash
# HTTP client throughput on loopback: rama's EasyHttpWebClient vs hyper-util's legacy pooled
# client, both against the same server (bench's hyper_hello, multi-thread runtime), HTTP/1.1
# and h2 prior knowledge, sequential and 64 concurrent tasks. Prints a markdown table with
# requests/s and the ratio rama/hyper, and the client's CPU time per request and its ratio:
# medians over the rounds, each round running both clients back to back (the machine is
# shared and noisy; the CPU time per request is the steadier figure).
#
# usage: bench/http_client.sh [--seconds S] [--rounds R] [--concurrency C]
#                             [--client both|rama|hyper] [--mode h1-seq|h1-conc|h2-seq|h2-conc]
#
# Port: BENCH_PORT_BASE (default 29100) + 10. Stops the server it started on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PORT=$(( ${BENCH_PORT_BASE:-29100} + 10 ))
ARGS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds|--rounds|--concurrency|--client|--mode) ARGS+=("$1" "$2"); shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
require_free_ports "$PORT"

cargo build --release --quiet -p rama-bench --bin client_bench --bin hyper_hello \
    --manifest-path "$ROOT/Cargo.toml"

"$TARGET_DIR/release/hyper_hello" --bind "127.0.0.1:$PORT" >/dev/null &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    sleep 0.1
done

"$TARGET_DIR/release/client_bench" --url "http://127.0.0.1:$PORT/" "${ARGS[@]}"
