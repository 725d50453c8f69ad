#!/usr/bin/env bash
# One command for a fresh machine: install everything, then run every test three ways:
#   1. coverage build: all unit and end-to-end tests, then the per-folder coverage table, failing
#      below 90 % total or 80 % for a folder (scripts/coverage.sh);
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build of the same tests (scripts/sanitize.sh);
#   3. each libFuzzer target for a bounded time over its corpus (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash scripts/setup.sh
echo "== coverage"
bash scripts/coverage.sh
echo "== sanitizers"
bash scripts/sanitize.sh
echo "== fuzzing"
bash scripts/fuzz.sh
echo "== all tests passed in $((SECONDS - start)) s"
