#!/usr/bin/env bash
# The neural engine's GPU check, in one run of under 10 minutes on one H100:
#   1. installs the carried wheels the machine lacks (.whl/: hy3dgen, diffusers, importlib_metadata)
#      into /tmp/site;
#   2. builds the neural engine alone (-DORFEAS_NEURAL_ONLY=ON) against the machine's PyTorch, with
#      the carried nlohmann/json headers (.deps/include), and its parity probe and benchmark;
#   3. runs every parity test (tests/parity) on CUDA in float32, float16 and bfloat16, the three
#      precisions side by side (tolerances: tests/parity/conftest.py, test_pipeline.py);
#   4. benchmarks full-size random-weight v2-0 shapes per second, ours at batch 1, 4 and 8 against
#      the official pipeline at batch 1 and 4 (50 steps, guidance 5, octree resolution 384,
#      float16), each side with dense and with hierarchical (FlashVDM, exact attention) volume
#      decoding, timed stage by stage (the random decoder's output layer scaled by 10 so that its
#      field is far from zero away from its surface; see the script); checks that both give the
#      same latents and grids, and prints one table (bench/official_throughput.py).
# Needs no network. Writes its log and results to $OUT (default ./gpu-check): log.txt,
# parity_<dtype>.txt, throughput.md, throughput.json. Exit status 0 when every step passed.
#
#   bash bench/neural_gpu_check.sh           # on the GPU machine, from the repository root
#   bash bench/neural_gpu_check.sh --smoke   # anywhere: CPU, float32, tiny model, 2 steps
# ORFEAS_GPU_CHECK_TESTS names the parity tests to run (default tests/parity; the last GPU session
# ran tests/parity/test_pipeline.py to save time); ORFEAS_GPU_CHECK_THROUGHPUT_ARGS adds options
# to bench/official_throughput.py (e.g. "--batches 1,4 --decoders hierarchical" for a shorter run).
# ORFEAS_GPU_CHECK_BUILD names the build directory (default /tmp/orfeas-neural-build); one that
# is already configured is reused as it is.
set -uo pipefail

smoke=0
[[ "${1:-}" == "--smoke" ]] && smoke=1
root=$(pwd)
out=${OUT:-$root/gpu-check}
build=${ORFEAS_GPU_CHECK_BUILD:-/tmp/orfeas-neural-build}
work=$(mktemp -d /tmp/orfeas-gpu-check.XXXXXX)
mkdir -p "$out"
exec > >(tee -a "$out/log.txt") 2>&1
start=$SECONDS
failures=()
step() { echo; echo "== [$((SECONDS - start)) s] $*"; }
limit() { echo $(($1 * (smoke ? 5 : 1))); }  # a step's time limit (a CPU smoke run is slower)
fail() { failures+=("$1"); echo "FAILED: $1"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'

if compgen -G ".whl/*.whl" >/dev/null; then
  step "wheels"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || fail "wheels"
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
python3 -c 'import diffusers, hy3dgen, transformers; print("diffusers", diffusers.__version__,
"transformers", transformers.__version__)' || fail "python packages"

step "build"
if [[ ! -f "$build/build.ninja" ]]; then
  nlohmann=()
  [[ -f .deps/include/nlohmann/json.hpp ]] &&
    nlohmann=(-DORFEAS_NLOHMANN_INCLUDE_DIR="$root/.deps/include")
  timeout "$(limit 120)" cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DORFEAS_NEURAL_ONLY=ON \
    -DORFEAS_WERROR=OFF \
    -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')" \
    "${nlohmann[@]}" >"$work/cmake.txt" 2>&1 || { tail -30 "$work/cmake.txt"; fail "configure"; }
fi
timeout "$(limit 300)" ninja -C "$build" orfeas_neural_probe orfeas_neural_throughput >"$work/build.txt" 2>&1 ||
  { tail -40 "$work/build.txt"; fail "build"; }
tail -1 "$work/build.txt"
probe=$build/tests/parity/orfeas_neural_probe
bench=$build/tests/parity/orfeas_neural_throughput
[[ -x "$probe" && -x "$bench" ]] || { echo "${failures[*]}"; exit 1; }

step "parity tests"
device=cuda dtypes=(float32 float16 bfloat16) parallel=() tests=${ORFEAS_GPU_CHECK_TESTS:-tests/parity}
if ((smoke)); then  # the script's own check: one file, on the CPU
  device=cpu dtypes=(float32) tests=tests/parity/test_pipeline.py
fi
python3 -c 'import xdist' 2>/dev/null && ! ((smoke)) && parallel=(-n 5)
pids=()
for dtype in "${dtypes[@]}"; do
  ORFEAS_NEURAL_PROBE=$probe ORFEAS_PARITY_DEVICE=$device ORFEAS_PARITY_DTYPE=$dtype \
    timeout "$(limit 180)" python3 -m pytest -q -p no:cacheprovider "${parallel[@]}" $tests \
    --ignore=tests/parity/test_checkpoint.py >"$out/parity_$dtype.txt" 2>&1 &
  pids+=($!)
done
for i in "${!dtypes[@]}"; do
  wait "${pids[$i]}" || fail "parity ${dtypes[$i]}"
  echo "${dtypes[$i]}: $(tail -1 "$out/parity_${dtypes[$i]}.txt")"
done

step "throughput"
smoke_flag=()
((smoke)) && smoke_flag=(--smoke)
read -r -a throughput_args <<<"${ORFEAS_GPU_CHECK_THROUGHPUT_ARGS:-}"
timeout "$(limit 420)" python3 bench/official_throughput.py --bench "$bench" --work "$work" --out "$out" \
  "${smoke_flag[@]}" "${throughput_args[@]}" || fail "throughput"

rm -rf "$work"
step "done"
if ((${#failures[@]})); then
  echo "failed steps: ${failures[*]}"
  exit 1
fi
echo "every step passed"
