#!/usr/bin/env bash
# What signing costs: a bounded loopback benchmark of `orfeas serve` reading a finished job's
# status, (a) unsigned through the web API, GET /api/jobs/{id}, and (b) signed through the agent
# API, GET /api/agent/status/{id}, which also checks the signature, records the nonce and appends
# an audit record. ROUNDS rounds each run (a) and (b) for STEP_SECONDS under wrk (one thread,
# 8 connections, closed loop) on the same machine as the server, in alternating order (a b, b a,
# ...), so that a drift of the machine's speed over the run weighs on both alike; the figure is
# the median of the rounds' ratios. Before each step, requests (one nonce each) are signed with
# clients/python/orfeas_agent.py, 1.5 times as many as the fastest (a) step answered, and one wrk
# Lua script replays them in order: (b) sends them, (a) the same number of unsigned requests, so
# that wrk spends alike on both. Each step also reports the server's CPU time per request (from
# /proc), which separates what the server pays for signing from what the load generator, sharing
# the cores, pays. The agent's rate limit is set far above what the run can reach. Stops the
# server it started.
#
# With PIN=1 the server runs on core 0 and wrk on core 1 (taskset): the cores are no longer shared,
# so the server is bound by its own CPU and the ratio is that of its CPU per request.
#
#   bash bench/agent_load_test.sh [ROUNDS] [STEP_SECONDS] [PHOTO]
#     (defaults: 6, 4, examples/duck.jpg; ORFEAS_BUILD picks the build, default build/;
#     PIN=1 pins as above)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-6}
step_seconds=${2:-4}
photo=${3:-examples/duck.jpg}
bin=${ORFEAS_BUILD:-build}/src/orfeas/cli/orfeas
connections=8
server_cores=() wrk_cores=()
if [[ ${PIN:-0} == 1 ]]; then
  (($(nproc) >= 2)) || { echo "PIN=1 needs two cores" >&2; exit 2; }
  server_cores=(taskset -c 0) wrk_cores=(taskset -c 1)
fi
((rounds >= 1 && rounds <= 50)) || { echo "ROUNDS: 1 to 50" >&2; exit 2; }
# Signed requests go stale 300 s after their timestamp; each step must end well before that. The
# server's CPU is sampled over the step but its first 1.5 s and last 0.5 s.
((step_seconds >= 3 && step_seconds <= 200)) || { echo "STEP_SECONDS: 3 to 200" >&2; exit 2; }

work=$(mktemp -d)
server_pid=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill -TERM "$server_pid"
    wait "$server_pid" || { echo "agent_load_test: orfeas serve exited $?" >&2; exit 1; }
    server_pid=
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT

# json EXPRESSION: evaluates a Python expression over the JSON document `d` read from stdin.
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# to_ms VALUE: wrk's "850.00us", "1.23ms" or "1.02s" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0;
    else if (v ~ /m$/) printf "%.3f", v * 60000; else printf "%.3f", v * 1000 }'
}

# cpu_seconds PID: the CPU time (user and system) the process has used so far.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# measure NAME WRK_ARGS...: runs wrk; sets $rate (requests/s), $p99 (ms) and $server_us (the
# server's CPU microseconds per request, over the step but its first 1.5 s and last 0.5 s, so
# that wrk's loading of its requests is left out); fails on errors.
measure() {
  local name=$1 wrk_pid cpu_start time_start cpu_end time_end
  "${wrk_cores[@]}" wrk -t1 -c"$connections" -d"${step_seconds}s" --latency "${@:2}" \
    >"$work/wrk-$name.txt" &
  wrk_pid=$!
  sleep 1.5
  cpu_start=$(cpu_seconds "$server_pid") time_start=$(date +%s.%N)
  sleep "$((step_seconds - 2))"
  cpu_end=$(cpu_seconds "$server_pid") time_end=$(date +%s.%N)
  wait "$wrk_pid"
  if grep -qE 'Non-2xx|Socket errors' "$work/wrk-$name.txt"; then
    echo "agent_load_test: wrk saw errors in $name:" >&2
    cat "$work/wrk-$name.txt" >&2
    exit 1
  fi
  rate=$(awk '/^Requests\/sec:/ { print $2 }' "$work/wrk-$name.txt")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$work/wrk-$name.txt")")
  server_us=$(awk -v c0="$cpu_start" -v c1="$cpu_end" -v t0="$time_start" -v t1="$time_end" \
    -v r="$rate" 'BEGIN { printf "%.1f", (c1 - c0) / (t1 - t0) / r * 1e6 }')
}

# The agent, added before the server starts so that it knows it at once.
"$bin" agents add bench --data "$work/data" --rate 100000000/min >"$work/agent.json"
api_key=$(json "d['api_key']" <"$work/agent.json")
export ORFEAS_AGENT_SECRET
ORFEAS_AGENT_SECRET=$(json "d['secret']" <"$work/agent.json")

"${server_cores[@]}" "$bin" serve --host 127.0.0.1 --port 0 --data "$work/data" --workers 1 \
  >"$work/stdout" 2>>"$work/serve.log" &
server_pid=$!
for _ in $(seq 300); do
  grep -q '^orfeas: listening on ' "$work/stdout" && break
  sleep 0.1
done
base=$(sed -n 's/^orfeas: listening on //p' "$work/stdout")
if [[ -z $base ]]; then
  echo "agent_load_test: orfeas serve did not start; its log:" >&2
  cat "$work/serve.log" >&2
  exit 1
fi

# One job through each API, both finished before anything is measured.
web_job=$(curl -sf -F "image=@$photo" -F resolution=32 "$base/api/jobs" | json "d['job_id']")
agent_job=$(python3 - "$base" "$api_key" "$photo" <<'EOF'
import os, sys
sys.path.insert(0, "clients/python")
from orfeas_agent import AgentClient
base, api_key, photo = sys.argv[1:]
client = AgentClient(base, api_key, os.environ["ORFEAS_AGENT_SECRET"])
job = client.generate_3d(open(photo, "rb").read(), resolution=32)
assert client.wait(job["job_id"], timeout=900, interval=0.1)["status"] == "succeeded"
print(job["job_id"])
EOF
)
for _ in $(seq 9000); do
  status=$(curl -sf "$base/api/jobs/$web_job" | json "d['status']")
  [[ $status == succeeded ]] && break
  [[ $status == queued || $status == running ]] || { echo "web job $status" >&2; exit 1; }
  sleep 0.1
done
[[ $status == succeeded ]] || { echo "agent_load_test: the web job did not finish" >&2; exit 1; }

cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
echo "machine: $(nproc) cores, $cpu; $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
pinning=
[[ ${PIN:-0} == 1 ]] && pinning=", server on core 0 and wrk on core 1"
echo "wrk -t1 -c$connections -d${step_seconds}s --latency per step, $rounds rounds, one server (--workers 1) on loopback$pinning"

# Both steps replay pre-built requests through the same Lua code: a table of them, in order, each
# once (past the end the last one repeats, which the server refuses as a replay for (b), so running
# out shows as non-2xx answers). (a) holds one request COUNT times, (b) COUNT distinct signed ones.
cat >"$work/replay.lua" <<'EOF'
local requests, count, next_request = {}, 0, 1
function init(args)
  local path, file, api_key = args[1], args[2], args[3]
  for line in io.lines(file) do
    local timestamp, nonce, signature = line:match("^(%S+) (%S+) (%S+)$")
    if api_key then
      requests[#requests + 1] = wrk.format("GET", path, {
        ["X-Agent-API-Key"] = api_key, ["X-Agent-Timestamp"] = timestamp,
        ["X-Agent-Nonce"] = nonce, ["X-Agent-Signature"] = signature })
    else
      requests[#requests + 1] = wrk.format("GET", path)
    end
  end
  count = #requests
end
function request()
  local chosen = requests[next_request]
  if next_request < count then next_request = next_request + 1 end
  return chosen
end
EOF

signed_path=/api/agent/status/$agent_job
fastest_unsigned=10000  # requests/s; raised by each (a) step

# sign_requests COUNT: writes COUNT lines "TIMESTAMP NONCE SIGNATURE" to $work/requests.txt,
# signed now, well within the server's 300 s.
sign_requests() {
  python3 - "$signed_path" "$1" >"$work/requests.txt" <<'EOF'
import os, sys, time
sys.path.insert(0, "clients/python")
from orfeas_agent import new_nonce, sign
path, count = sys.argv[1], int(sys.argv[2])
secret, timestamp = os.environ["ORFEAS_AGENT_SECRET"], int(time.time())
lines = []
for _ in range(count):
    nonce = new_nonce()
    lines.append(f"{timestamp} {nonce} {sign(secret, 'GET', path, b'', timestamp, nonce)}\n")
sys.stdout.write("".join(lines))
EOF
}

# unsigned_step / signed_step: one measured step each (see measure). Each replays
# 1.5 times as many requests as the fastest (a) step answered.
replay_count() {
  awk -v r="$fastest_unsigned" -v s="$step_seconds" 'BEGIN { print int(r * s * 1.5) }'
}
unsigned_step() {
  sign_requests "$(replay_count)"  # only the count matters here: the same cost before each step
  measure unsigned -s "$work/replay.lua" "$base/api/jobs/$web_job" \
    -- "/api/jobs/$web_job" "$work/requests.txt"
  fastest_unsigned=$(awk -v a="$fastest_unsigned" -v b="$rate" 'BEGIN { print (b > a ? b : a) }')
}
signed_step() {
  sign_requests "$(replay_count)"
  measure signed -s "$work/replay.lua" "$base$signed_path" \
    -- "$signed_path" "$work/requests.txt" "$api_key"
}

printf '\n%-6s %14s %9s %10s %14s %9s %10s %7s\n' round "(a) unsigned/s" p99_ms server_us \
  "(b) signed/s" p99_ms server_us ratio
: >"$work/rounds.txt"
for round in $(seq "$rounds"); do
  if ((round % 2 == 1)); then
    unsigned_step; a=("$rate" "$p99" "$server_us")
    signed_step; b=("$rate" "$p99" "$server_us")
  else
    signed_step; b=("$rate" "$p99" "$server_us")
    unsigned_step; a=("$rate" "$p99" "$server_us")
  fi
  ratio=$(awk -v a="${a[0]}" -v b="${b[0]}" 'BEGIN { printf "%.3f", b / a }')
  echo "${a[*]} ${b[*]} $ratio" >>"$work/rounds.txt"
  printf '%-6s %14.0f %9.3f %10.1f %14.0f %9.3f %10.1f %7.2f\n' "$round" "${a[@]}" "${b[@]}" "$ratio"
done
stop_server

# median COLUMN: the median of a column of rounds.txt.
median() {
  sort -g -k"$1","$1" "$work/rounds.txt" | awk -v c="$1" '{ v[NR] = $c }
    END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf '%-6s %14.0f %9.3f %10.1f %14.0f %9.3f %10.1f %7.2f\n' median "$(median 1)" "$(median 2)" \
  "$(median 3)" "$(median 4)" "$(median 5)" "$(median 6)" "$(median 7)"
echo
echo "signed / unsigned, median of $rounds rounds: $(median 7 | awk '{ printf "%.2f", $1 }') x the" \
  "requests/s; the server's CPU per request $(awk -v a="$(median 3)" -v b="$(median 6)" \
  'BEGIN { printf "%.2f", b / a }') x"
echo
echo "reproduce: ${PIN:+PIN=$PIN }bash bench/agent_load_test.sh $rounds $step_seconds $photo"
