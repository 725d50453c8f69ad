#!/usr/bin/env bash
# One command for a fresh machine: install, build, and turn the bundled example photo into a
# printable STL with its printability report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p out
./build/src/orfeas/cli/orfeas generate examples/duck.jpg -o out/duck.stl --report out/duck.report.json
echo "wrote out/duck.stl and out/duck.report.json"
