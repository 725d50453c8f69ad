#!/usr/bin/env bash
# A bounded load test of `orfeas serve` on loopback, in two parts:
#  1. GET /api/jobs/{id} of a finished job with wrk at a sweep of connection counts (closed loop:
#     each connection sends its next request when the last is answered), reporting the rate and
#     the latency percentiles of each step; the answer is the highest rate whose p99 stays under
#     5 ms. wrk runs on the same machine, on one thread, and takes CPU from the server.
#  2. Job throughput on the CPU generator (inflate, default options, max batch 1) with 1, 2 and 4
#     workers: JOBS copies of the photo submitted as one batch, timed from the first job's
#     creation to the last one's finish, as the server records them.
# Each step is bounded (wrk runs STEP_SECONDS; the jobs must finish within 15 minutes) and the
# script stops every server it started.
#
#   bash bench/load_test.sh [STEP_SECONDS] [JOBS] [PHOTO]
#     (defaults: 10, 24, examples/duck.jpg; ORFEAS_BUILD picks the build, default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
step_seconds=${1:-10}
jobs=${2:-24}
photo=${3:-examples/duck.jpg}
bin=${ORFEAS_BUILD:-build}/src/orfeas/cli/orfeas
connection_steps=(1 2 3 4 6 8 12 16 32 64)
worker_steps=(1 2 4)
p99_budget_ms=5

work=$(mktemp -d)
server_pid=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill -TERM "$server_pid"
    wait "$server_pid" || { echo "load_test: orfeas serve exited $?" >&2; exit 1; }
    server_pid=
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT

# start_server DATA_DIR ARGS...: starts `orfeas serve` and sets $base to its URL.
start_server() {
  : >"$work/stdout"
  "$bin" serve --host 127.0.0.1 --port 0 --data "$1" "${@:2}" >"$work/stdout" 2>>"$work/serve.log" &
  server_pid=$!
  for _ in $(seq 300); do
    if grep -q '^orfeas: listening on ' "$work/stdout"; then
      base=$(sed -n 's/^orfeas: listening on //p' "$work/stdout")
      return
    fi
    sleep 0.1
  done
  echo "load_test: orfeas serve did not start; its log:" >&2
  cat "$work/serve.log" >&2
  exit 1
}

# json EXPRESSION: evaluates a Python expression over the JSON document `d` read from stdin.
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# wait_for_jobs COUNT: until COUNT jobs have succeeded; fails on a failed job or after 15 minutes.
wait_for_jobs() {
  local deadline=$((SECONDS + 900))
  while true; do
    local counts
    counts=$(curl -sf "$base/api/jobs?limit=1000" |
      json "sum(j['status'] == 'succeeded' for j in d['jobs']),
            sum(j['status'] == 'failed' for j in d['jobs'])")
    read -r succeeded failed <<<"${counts//,/ }"
    ((failed == 0)) || { echo "load_test: $failed jobs failed" >&2; exit 1; }
    ((succeeded < $1)) || return 0
    ((SECONDS < deadline)) || { echo "load_test: jobs still running after 15 minutes" >&2; exit 1; }
    sleep 0.2
  done
}

# to_ms VALUE: wrk's "850.00us", "1.23ms" or "1.02s" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0;
    else if (v ~ /m$/) printf "%.3f", v * 60000; else printf "%.3f", v * 1000 }'
}

cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
echo "machine: $(nproc) cores, $cpu; $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo
echo "1. GET /api/jobs/{id}: wrk -t1 -d${step_seconds}s --latency, one server with 2 HTTP threads"
start_server "$work/status" --workers 1
job_id=$(curl -sf -F "image=@$photo" -F resolution=32 "$base/api/jobs" | json "d['job_id']")
wait_for_jobs 1
printf '%12s %10s %9s %9s %9s %9s\n' connections requests/s p50_ms p90_ms p99_ms max_ms
best_rate=0 best_connections=0
for connections in "${connection_steps[@]}"; do
  wrk -t1 -c"$connections" -d"${step_seconds}s" --latency "$base/api/jobs/$job_id" >"$work/wrk.txt"
  if grep -qE 'Non-2xx|Socket errors' "$work/wrk.txt"; then
    echo "load_test: wrk saw errors at $connections connections:" >&2
    cat "$work/wrk.txt" >&2
    exit 1
  fi
  rate=$(awk '/^Requests\/sec:/ { print $2 }' "$work/wrk.txt")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$work/wrk.txt")")
  p90=$(to_ms "$(awk '$1 == "90%" { print $2 }' "$work/wrk.txt")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$work/wrk.txt")")
  max=$(to_ms "$(awk '$1 == "Latency" { print $4 }' "$work/wrk.txt")")
  printf '%12d %10.0f %9.3f %9.3f %9.3f %9.3f\n' "$connections" "$rate" "$p50" "$p90" "$p99" "$max"
  if awk -v p99="$p99" -v rate="$rate" -v best="$best_rate" -v budget="$p99_budget_ms" \
    'BEGIN { exit !(p99 < budget && rate > best) }'; then
    best_rate=$rate best_connections=$connections
  fi
done
stop_server
printf 'highest rate with p99 under %d ms: %.0f requests/s (%d connections)\n' \
  "$p99_budget_ms" "$best_rate" "$best_connections"

echo
echo "2. job throughput: $jobs x $photo, inflate with default options, --max-batch 1"
printf '%8s %10s %12s %14s\n' workers seconds jobs/minute mean_job_s
for workers in "${worker_steps[@]}"; do
  start_server "$work/jobs-$workers" --workers "$workers" --max-batch 1
  images=()
  for _ in $(seq "$jobs"); do images+=(-F "image=@$photo"); done
  curl -sf "${images[@]}" "$base/api/batches" >/dev/null
  wait_for_jobs "$jobs"
  curl -sf "$base/api/jobs?limit=1000" -o "$work/jobs.json"
  python3 - "$workers" "$work/jobs.json" <<'EOF'
import datetime, json, sys
jobs = json.load(open(sys.argv[2]))["jobs"]
seconds = lambda text: datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
elapsed = max(seconds(j["finished_at"]) for j in jobs) - min(seconds(j["created_at"]) for j in jobs)
mean = sum(seconds(j["finished_at"]) - seconds(j["started_at"]) for j in jobs) / len(jobs)
print("%8s %10.2f %12.1f %14.3f" % (sys.argv[1], elapsed, 60 * len(jobs) / elapsed, mean))
EOF
  stop_server
done
echo
echo "reproduce: bash bench/load_test.sh $step_seconds $jobs $photo"
