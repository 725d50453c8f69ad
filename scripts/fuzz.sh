#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for a bounded time
# (FUZZ_SECONDS, default 45) over its corpus in tests/fuzz/corpus/NAME/. New inputs go to a scratch
# folder, so the repository's corpora stay as committed. Fails on any crash, leak or sanitizer
# finding; the reproducer is left in build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-45}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DORFEAS_FUZZ=ON -DORFEAS_BUILD_TESTS=OFF -DORFEAS_BUILD_BENCH=OFF -DORFEAS_WITH_TORCH=OFF >/dev/null
cmake --build build-fuzz
mkdir -p build-fuzz/findings
status=0
for corpus in tests/fuzz/corpus/*/; do
  name=$(basename "$corpus")
  scratch=build-fuzz/scratch/$name
  rm -rf "$scratch" && mkdir -p "$scratch"
  echo "fuzz: $name for ${seconds}s"
  if ! build-fuzz/tests/fuzz/${name}_fuzzer -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix=build-fuzz/findings/${name}- -print_final_stats=1 \
      "$scratch" "$corpus" > "build-fuzz/$name.log" 2>&1; then
    echo "fuzz: $name FAILED"; tail -n 40 "build-fuzz/$name.log"; status=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "build-fuzz/$name.log" | sed "s/^/fuzz: $name /"
  fi
done
exit $status
