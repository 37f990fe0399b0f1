#!/usr/bin/env bash
# Instructions per request of the real server, which do not move with the
# host's load as requests/s do (load.sh): the release bench_server with
# 1 worker, log off, under valgrind's callgrind; wrk warms it up (not
# counted), then loads it over one connection for a fixed time; the
# program's instructions from then on are divided by the requests wrk
# counted.
#
#   firewall-actix/benches/callgrind.sh bare limit       # GET /
#   firewall-actix/benches/callgrind.sh bare_post waf    # post.lua
#   firewall-actix/benches/callgrind.sh waf_accented waf_new_head
#   SERVER=/tmp/old_bench_server firewall-actix/benches/callgrind.sh waf
#
# The WAF configurations and bare_post send load.sh's client scripts
# (client_scripts.sh), the others GET / (the flood and Redis variants need
# load.sh's many clients or Redis).
# SERVER names a prebuilt binary (to compare two builds); the callgrind
# profiles stay in $KEEP when it is set (callgrind_annotate --inclusive=yes).
# Needs valgrind and wrk. Only 127.0.0.1 is loaded.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || { echo "usage: $0 CONFIG..." >&2; exit 2; }
for tool in valgrind callgrind_control callgrind_annotate wrk; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install valgrind wrk)" >&2; exit 2; }
done
if [ -z "${SERVER:-}" ]; then
  cargo build --release --quiet --example bench_server
  SERVER=target/release/examples/bench_server
fi
PORT=${PORT:-18190}
SCRIPTS=$(mktemp -d)
trap 'rm -rf "$SCRIPTS"' EXIT
source firewall-actix/benches/client_scripts.sh
write_client_scripts "$SCRIPTS"
WARM_UP=${WARM_UP:-6s}
MEASURE=${MEASURE:-12s}

for config in "$@"; do
  dir=$(mktemp -d)
  script=()
  case $config in
    *_flood | *_redis)
      echo "$config: needs load.sh's many clients or Redis; measure a WAF configuration, bare_post or a GET / one" >&2; exit 2 ;;
  esac
  lua=$(client_script "$config" "$SCRIPTS")
  [ -z "$lua" ] || script=(-s "$lua")
  BENCH_CONFIG=$config BENCH_LOG=off BENCH_PORT=$PORT BENCH_WORKERS=1 BENCH_DIR=$dir \
    valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" "$SERVER" \
    >"$dir/stdout" 2>"$dir/stderr" &
  pid=$!
  for _ in $(seq 1 900); do
    grep -q "ready" "$dir/stderr" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "$config: server died: $(cat "$dir/stderr")" >&2; exit 1; }
    sleep 0.2
  done
  wrk -t1 -c4 -d"$WARM_UP" "${script[@]}" "http://127.0.0.1:$PORT/" >/dev/null
  callgrind_control --zero "$pid" >/dev/null 2>&1
  requests=$(wrk -t1 -c1 -d"$MEASURE" "${script[@]}" "http://127.0.0.1:$PORT/" | awk '/requests in/ { print $1 }')
  callgrind_control --dump "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  total=$(for f in "$dir"/callgrind.out.*; do
    callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
  done | sort -n | tail -1)
  printf '%s: %s requests, %s instructions per request\n' "$config" "$requests" "$((total / requests))"
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp "$dir"/callgrind.out.* "$KEEP/"; fi
  rm -rf "$dir"
done
