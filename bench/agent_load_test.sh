#!/usr/bin/env bash
# What signing costs: a bounded loopback benchmark of `orfeas serve` reading a finished job's
# status, (a) unsigned through the web API, GET /api/jobs/{id}, and (b) signed through the agent
# API, GET /api/agent/status/{id}, which also checks the signature, records the nonce and appends
# an audit record. Each runs STEP_SECONDS under wrk (one thread, 8 connections, closed loop) on the
# same machine as the server. For (b), distinct requests (one nonce each) are signed beforehand
# with clients/python/orfeas_agent.py, 1.5 times as many as (a) answered in its step, and a wrk Lua
# script replays them in order; they are signed right before the run, within the server's 300 s.
# The agent's rate limit is set far above what the run can reach. Prints requests/s and p99 of
# both and their ratio. Stops the server it started.
#
#   bash bench/agent_load_test.sh [STEP_SECONDS] [PHOTO]
#     (defaults: 10, examples/duck.jpg; ORFEAS_BUILD picks the build, default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
step_seconds=${1:-10}
photo=${2:-examples/duck.jpg}
bin=${ORFEAS_BUILD:-build}/src/orfeas/cli/orfeas
connections=8
# Signed requests go stale 300 s after their timestamp; the run must end well before that.
((step_seconds >= 1 && step_seconds <= 200)) || { echo "STEP_SECONDS: 1 to 200" >&2; exit 2; }

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

# measure NAME WRK_ARGS...: runs wrk; sets $rate (requests/s) and $p99 (ms); fails on errors.
measure() {
  local name=$1
  wrk -t1 -c"$connections" -d"${step_seconds}s" --latency "${@:2}" >"$work/wrk-$name.txt"
  if grep -qE 'Non-2xx|Socket errors' "$work/wrk-$name.txt"; then
    echo "agent_load_test: wrk saw errors in $name:" >&2
    cat "$work/wrk-$name.txt" >&2
    exit 1
  fi
  rate=$(awk '/^Requests\/sec:/ { print $2 }' "$work/wrk-$name.txt")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$work/wrk-$name.txt")")
}

# The agent, added before the server starts so that it knows it at once.
"$bin" agents add bench --data "$work/data" --rate 100000000/min >"$work/agent.json"
api_key=$(json "d['api_key']" <"$work/agent.json")
export ORFEAS_AGENT_SECRET
ORFEAS_AGENT_SECRET=$(json "d['secret']" <"$work/agent.json")

"$bin" serve --host 127.0.0.1 --port 0 --data "$work/data" --workers 1 \
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
echo "wrk -t1 -c$connections -d${step_seconds}s --latency, one server (--workers 1) on loopback"

# Both runs build their requests in a Lua request() function, so that wrk spends the same on each.
cat >"$work/unsigned.lua" <<'EOF'
local prepared
function init(args) prepared = wrk.format("GET", args[1]) end
function request() return prepared end
EOF
measure unsigned -s "$work/unsigned.lua" "$base/api/jobs/$web_job" -- "/api/jobs/$web_job"
unsigned_rate=$rate unsigned_p99=$p99

# Pre-signed requests for (b): one line "TIMESTAMP NONCE SIGNATURE" each.
signed_path=/api/agent/status/$agent_job
count=$(awk -v r="$unsigned_rate" -v s="$step_seconds" \
  'BEGIN { n = int(r * s * 1.5); print (n < 10000 ? 10000 : n) }')
python3 - "$signed_path" "$count" >"$work/signed.txt" <<'EOF'
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

# Replays the signed requests in order, each once; past the end it repeats the last one, which the
# server refuses as a replay, so running out shows as non-2xx answers.
cat >"$work/signed.lua" <<'EOF'
local requests, next_request = {}, 1
function init(args)
  for line in io.lines(args[2]) do
    local timestamp, nonce, signature = line:match("^(%S+) (%S+) (%S+)$")
    requests[#requests + 1] = wrk.format("GET", args[1], {
      ["X-Agent-API-Key"] = args[3], ["X-Agent-Timestamp"] = timestamp,
      ["X-Agent-Nonce"] = nonce, ["X-Agent-Signature"] = signature })
  end
end
function request()
  local chosen = requests[next_request]
  if next_request < #requests then next_request = next_request + 1 end
  return chosen
end
EOF
measure signed -s "$work/signed.lua" "$base$signed_path" \
  -- "$signed_path" "$work/signed.txt" "$api_key"
signed_rate=$rate signed_p99=$p99
stop_server

echo
printf '%-40s %12s %9s\n' request requests/s p99_ms
printf '%-40s %12.0f %9.3f\n' "(a) unsigned GET /api/jobs/{id}" "$unsigned_rate" "$unsigned_p99"
printf '%-40s %12.0f %9.3f\n' "(b) signed GET /api/agent/status/{id}" "$signed_rate" "$signed_p99"
awk -v a="$unsigned_rate" -v b="$signed_rate" -v pa="$unsigned_p99" -v pb="$signed_p99" \
  'BEGIN { printf "signed / unsigned: %.2f x the requests/s, %.2f x the p99\n", b / a, pb / pa }'
echo "($count requests signed beforehand for (b))"
echo
echo "reproduce: bash bench/agent_load_test.sh $step_seconds $photo"
