#!/usr/bin/env bash
# Load benchmark: what does the firewall cost a real Actix server?
#
# Builds examples/bench_server.rs in release mode, starts each configuration
# on 127.0.0.1 in turn with the same worker count, loads it with wrk for the
# same duration, and prints one table with requests/s, p50 and p99 latency and
# the ratio to bare Actix measured in the same run. It checks as it goes that
# every answer was 2xx and that the log holds exactly one line per request the
# firewall decided: a fast wrong answer fails the run (exit 1).
#
#   firewall-actix/benches/load.sh            # 10 s per configuration
#   DURATION=30s CONNECTIONS=64 firewall-actix/benches/load.sh
#
# Needs wrk (apt-get install wrk). Only 127.0.0.1 is ever loaded.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-1}
PORT=${PORT:-18080}
CONFIGS=${CONFIGS:-"bare:off rules10:on rules10:off rules1m:on rules1m:off macro:on macro:off"}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet --example bench_server
SERVER=target/release/examples/bench_server
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

failures=0
declare -A RPS P50 P99 NOTE

to_ms() { # wrk latency (e.g. 512.00us, 1.20ms, 2.00s) -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

run_one() {
  local config=${1%%:*} log=${1##*:} name=$1
  local dir="$WORK/$config-$log"; mkdir -p "$dir"
  BENCH_CONFIG=$config BENCH_LOG=$log BENCH_PORT=$PORT BENCH_WORKERS=$WORKERS BENCH_DIR=$dir \
    "$SERVER" >"$dir/stdout" 2>"$dir/stderr" &
  local pid=$!
  for _ in $(seq 1 600); do
    grep -q "ready" "$dir/stderr" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "$name: server died: $(cat "$dir/stderr")" >&2; failures=$((failures+1)); return; }
    sleep 0.1
  done
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$PORT/" >"$dir/wrk" 2>&1
  kill -INT "$pid"; wait "$pid" || true

  local completed non2xx errors
  completed=$(awk '/requests in/ { print $1 }' "$dir/wrk")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$dir/wrk"); non2xx=${non2xx:-0}
  errors=$(awk '/Socket errors/ { print }' "$dir/wrk")
  RPS[$name]=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$dir/wrk")
  P50[$name]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$dir/wrk")")
  P99[$name]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$dir/wrk")")
  NOTE[$name]="ok"
  if [ "$non2xx" != 0 ] || [ -n "$errors" ]; then
    NOTE[$name]="FAIL: $non2xx non-2xx answers $errors"; failures=$((failures+1))
  fi
  if [ "$config" != bare ]; then
    local decided lines
    decided=$(awk -F'[ =]' '/^STATS/ { print $3 + $5 }' "$dir/stdout")
    if [ "$log" = on ]; then
      lines=$(grep -c 'ACL ' "$dir/bench_firewall.log" || true)
      # wrk counts answered requests; the server may have decided a few more
      # that were in flight when wrk stopped (at most one per connection).
      if [ "$lines" != "$decided" ] || [ "$decided" -lt "$completed" ] || [ "$decided" -gt $((completed + CONNECTIONS)) ]; then
        NOTE[$name]="FAIL: $lines log lines, $decided decided, $completed answered"; failures=$((failures+1))
      else
        NOTE[$name]="ok, $lines lines = $decided decided"
      fi
    fi
  fi
}

for c in $CONFIGS; do run_one "$c"; done

base=${RPS[bare:off]:-0}
printf '\n%-14s %10s %9s %9s %8s  %s\n' configuration "req/s" "p50 ms" "p99 ms" "vs bare" check
for c in $CONFIGS; do
  ratio=$(awk -v a="${RPS[$c]:-0}" -v b="$base" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "-" }')
  printf '%-14s %10s %9s %9s %8s  %s\n' "$c" "${RPS[$c]:-0}" "${P50[$c]:--}" "${P99[$c]:--}" "$ratio" "${NOTE[$c]:-}"
done
printf '\n%s, %s cores, wrk -t%s -c%s -d%s, %s Actix worker(s)\n' "$(uname -m)" "$(nproc)" "$THREADS" "$CONNECTIONS" "$DURATION" "$WORKERS"
[ "$failures" = 0 ] || { echo "$failures configuration(s) failed their checks" >&2; exit 1; }
