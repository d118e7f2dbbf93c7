# Helpers shared by the benchmark scripts: `source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`.
#
# The sourcing script sets WORK (a scratch directory) and PIDS=() before it starts anything;
# `bench_cleanup` (installed as the EXIT/INT/TERM trap) stops every process started with
# `start` and removes WORK unless KEEP_LOGS=1.

bench_cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ "${KEEP_LOGS:-0}" == 1 ]]; then echo "logs in $WORK" >&2; else rm -rf "$WORK"; fi
}

install_missing() { # install_missing COMMAND PACKAGE: apt-get PACKAGE when COMMAND is absent
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "installing $2 (Debian package, for $1)" >&2
        apt-get install -y "$2" >/dev/null || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }
    fi
}

build_rama() { # sets RAMA_BIN: the given one, else a release build of the CLI
    if [[ -n "${RAMA_BIN:-}" ]]; then
        echo "using RAMA_BIN=$RAMA_BIN (not rebuilt)" >&2
    else
        echo "building the release CLI" >&2
        (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -q -p rama-cli --bin rama)
        RAMA_BIN="$TARGET_DIR/release/rama"
    fi
}

start() { # start CMD...: in the background, log in $WORK (LAST_LOG), pid in PIDS and LAST_PID
    LAST_LOG="$WORK/$(basename "$1").$RANDOM.log"
    "$@" >"$LAST_LOG" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

require_free_ports() { # require_free_ports PORT...: stop at once if something listens on one
    local port
    for port in "$@"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "127.0.0.1:$port is in use: stop what listens there or move the benchmark with BENCH_PORT_BASE" >&2
            exit 1
        fi
    done
}

wait_port() { # wait_port PORT [WHAT]: wait until something listens on 127.0.0.1:PORT
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "nothing listens on 127.0.0.1:$1${2:+ ($2)} (logs: KEEP_LOGS=1)" >&2
    exit 1
}

nginx_conf() { # nginx_conf DIR WORKERS HTTP-BLOCK...: writes DIR/nginx.conf
    local dir="$1" workers="$2"
    shift 2
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
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
CONF
}

proc_sum() { # proc_sum FILE AWK-PROGRAM PID...: the program's number from /proc/PID/FILE, summed
    local file="$1" program="$2" total=0 pid v
    shift 2
    for pid in "$@"; do
        v=$(awk "$program" "/proc/$pid/$file" 2>/dev/null || echo 0)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

cpu_ticks() { # user + system CPU time of the given pids (all threads), in clock ticks
    proc_sum stat '{print $14 + $15}' "$@"
}

TICK_US=$((1000000 / $(getconf CLK_TCK)))

us_per() { # us_per TICKS COUNT: CPU microseconds per unit
    awk -v t="$1" -v n="$2" -v u="$TICK_US" 'BEGIN { if (n > 0) printf "%.2f", t * u / n; else print 0 }'
}

best() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (b > a ? b : a) }'; }
lowest() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && (b == 0 || a < b)) print a; else print b }'; }
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "?" }'; }
# median NUMBER...: the median (the mean of the middle two for an even count), "?" for none.
# Each round's ratio of two proxies run back to back is steadier than the ratio of their
# best rounds on a machine whose speed drifts within minutes (seen: ±15% between rounds).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { printf "?"; exit }
        if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

wrk_summary() { # reads wrk --latency output: "requests/s p99-ms total-requests non-2xx"
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
        /Non-2xx/ {bad = $NF}
        END {printf "%.0f %.3f %d %d\n", r, p, n, bad}'
}
