#!/usr/bin/env bash
# Builds the unit and end-to-end tests with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ and runs them. Any finding aborts the test that triggered it. No suppressions.
# The neural engine is left out here (-DORFEAS_WITH_TORCH=OFF): LibTorch comes prebuilt from the
# torch wheel, uninstrumented, and its own allocator and static initialisers are outside what
# these sanitizers can check soundly; its code is covered by the coverage run and its parity tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORFEAS_SANITIZE=ON \
  -DORFEAS_BUILD_BENCH=OFF -DORFEAS_WITH_TORCH=OFF >/dev/null
cmake --build build-asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
