#!/usr/bin/env bash
# Wall-clock time of the default `orfeas generate` (inflate, resolution 192, 40000 faces, STL) on
# one photo, end to end as a user runs it: process start, decode, mask, field, mesh, write.
#
#   bash bench/generate_end_to_end.sh [PHOTO] [RUNS]   (default: examples/duck.jpg, 10 runs;
#                                                     ORFEAS_BUILD picks the build, default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
photo=${1:-examples/duck.jpg}
runs=${2:-10}
bin=${ORFEAS_BUILD:-build}/src/orfeas/cli/orfeas
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$bin" generate "$photo" -o "$out/model.stl" -q >/dev/null
  end=$(date +%s%N)
  times+=("$(((end - start) / 1000))")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v photo="$photo" -v runs="$runs" '
  { t[NR] = $1 / 1e6 }
  END { printf "orfeas generate %s (defaults), %d runs: best %.3f s, median %.3f s, worst %.3f s\n",
        photo, runs, t[1], t[int((NR + 1) / 2)], t[NR] }'
echo "reproduce: bash bench/generate_end_to_end.sh $photo $runs"
