#!/usr/bin/env bash
# Installs everything Orfeas needs on a fresh Debian 12 machine (run as root): the compiler and
# build tools, the Debian libraries we link, and the Python packages the tests and benchmarks use
# as independent oracles. Safe to run again.
set -euo pipefail

apt_packages=(
  build-essential cmake ninja-build pkg-config git python3
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libcli11-dev nlohmann-json3-dev libspdlog-dev
  libmeshoptimizer-dev libtinygltf-dev lib3mf-dev libzip-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libassimp-dev assimp-utils
  gcovr clang libclang-rt-14-dev
  postgresql libpq-dev libssl-dev nettle-dev
  libboost1.81-dev
  libjs-three chromium chromium-driver
  wrk curl openssl
)
# The Python used by the tests: whichever python3 is first on PATH.
python_packages=(numpy trimesh scikit-image pillow pytest lxml networkx selenium)
# The neural engine's LibTorch and its parity oracle (tests/parity): the official hy3dgen modules
# and what they import. hy3dgen itself comes without its dependencies, which are the whole demo app.
neural_packages=(torch==2.11.0 torchvision==0.26.0 safetensors einops pyyaml transformers diffusers
                 tqdm opencv-python-headless)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import numpy, trimesh, skimage, PIL, pytest, lxml, networkx, selenium' 2>/dev/null; then
  echo "setup: installing Python packages: ${python_packages[*]}" >&2
  python3 -m pip install -q --disable-pip-version-check "${python_packages[@]}"
fi
if ! python3 -c 'import torch, torchvision, safetensors, einops, yaml, transformers, diffusers, tqdm, cv2
assert torch.__version__.split("+")[0] == "2.11.0"' 2>/dev/null; then
  echo "setup: installing Python packages: ${neural_packages[*]}" >&2
  python3 -m pip install -q --disable-pip-version-check "${neural_packages[@]}"
fi
if ! python3 -c 'import importlib.metadata as m; assert m.version("hy3dgen") == "2.0.2"' 2>/dev/null; then
  echo "setup: installing hy3dgen 2.0.2 without its dependencies" >&2
  python3 -m pip install -q --disable-pip-version-check --no-deps hy3dgen==2.0.2
fi
