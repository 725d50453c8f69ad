"""Parity harness: our C++ neural modules (run through orfeas_neural_probe) against the official
hy3dgen modules, which are the oracle.

A test builds the official module with random weights, calls run_probe() with the module's config,
state_dict and inputs, runs the official module on the same inputs and compares with
assert_parity(). ORFEAS_PARITY_DEVICE (cpu|cuda) and ORFEAS_PARITY_DTYPE (float32|float16|bfloat16)
select where and in which precision both sides run; tests move the official module and its inputs
with `.to(DEVICE, DTYPE)`.
"""
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import types

import pytest
import torch
from safetensors.torch import load_file, save_file

DEVICE = os.environ.get("ORFEAS_PARITY_DEVICE", "cpu")
DTYPE_NAME = os.environ.get("ORFEAS_PARITY_DTYPE", "float32")
DTYPE = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[DTYPE_NAME]

# Largest allowed max|ours - ref|, relative to max(1, max|ref|). float32: the parity target of the
# neural engine. The half types differ from float32 by where each side rounds (kernel choice,
# operation order, when intermediates are cast): the error is many independent roundings of about
# one unit in the last place (fp16: 2**-10 ~ 1e-3 at scale 1; bf16: 2**-7 ~ 8e-3), and the max over
# thousands of outputs of a deep network reaches some tens of them. 2e-2 is ~20 fp16 ulps and 8e-2
# ~10 bf16 ulps; a real bug (a wrong weight, op or order of layers) errs by O(1).
TOLERANCES = {"float32": 1e-4, "float16": 2e-2, "bfloat16": 8e-2}


def _install_hy3dgen_shim():
    """Lets tests import hy3dgen.shapegen.models..., .schedulers, .preprocessors without running
    hy3dgen/shapegen/__init__.py (which imports the pipelines and their mesh-processing deps).
    The package comes from ORFEAS_HY3DGEN_PATH (a directory holding hy3dgen/) or the installed
    hy3dgen wheel."""
    root = os.environ.get("ORFEAS_HY3DGEN_PATH")
    if root:
        package_dir = pathlib.Path(root) / "hy3dgen"
    else:
        spec = importlib.util.find_spec("hy3dgen")
        if spec is None or not spec.submodule_search_locations:
            return
        package_dir = pathlib.Path(list(spec.submodule_search_locations)[0])
    for name, path in (("hy3dgen", package_dir), ("hy3dgen.shapegen", package_dir / "shapegen")):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
    sys.modules["hy3dgen"].shapegen = sys.modules["hy3dgen.shapegen"]


_install_hy3dgen_shim()


class ProbeError(AssertionError):
    """orfeas_neural_probe exited with an error."""

    def __init__(self, returncode, stderr):
        super().__init__(f"orfeas_neural_probe exited {returncode}: {stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


def _probe_path():
    probe = os.environ.get("ORFEAS_NEURAL_PROBE")
    if not probe:
        raise AssertionError("set ORFEAS_NEURAL_PROBE to the orfeas_neural_probe binary")
    return probe


def _cpu_tensors(tensors):
    # safetensors refuses tensors sharing memory (tied weights, views): give each its own copy.
    return {name: t.detach().to("cpu").contiguous().clone() for name, t in tensors.items()}


def run_probe(module, config, state_dict, inputs, options=None):
    """Runs our `module` on `config` (the official params, JSON-able), `state_dict` (official
    names; empty for a weightless module) and the named `inputs`; returns the named outputs (CPU
    tensors). The probe runs on DEVICE in DTYPE unless `options` says otherwise. Raises ProbeError
    if the probe fails."""
    with tempfile.TemporaryDirectory(prefix="orfeas_parity_") as tmp:
        directory = pathlib.Path(tmp)
        (directory / "config.json").write_text(json.dumps(config))
        (directory / "options.json").write_text(
            json.dumps({"device": DEVICE, "dtype": DTYPE_NAME, **(options or {})}))
        if state_dict:
            save_file(_cpu_tensors(state_dict), str(directory / "weights.safetensors"))
        save_file(_cpu_tensors(inputs), str(directory / "inputs.safetensors"))
        proc = subprocess.run([_probe_path(), module, str(directory)], capture_output=True,
                              text=True, timeout=1800)
        if proc.returncode != 0:
            raise ProbeError(proc.returncode, proc.stderr)
        return load_file(str(directory / "outputs.safetensors"))


def assert_parity(ours, ref, tol=None):
    """max|ours - ref| < tol * max(1, max|ref|); tol defaults to TOLERANCES[DTYPE_NAME]."""
    tol = TOLERANCES[DTYPE_NAME] if tol is None else tol
    ours = ours.detach().to("cpu", torch.float64)
    ref = ref.detach().to("cpu", torch.float64)
    assert ours.shape == ref.shape, f"shape {tuple(ours.shape)} != reference {tuple(ref.shape)}"
    assert torch.isfinite(ref).all(), "the reference has non-finite values"
    assert torch.isfinite(ours).all(), "our output has non-finite values"
    error = (ours - ref).abs().max().item() if ref.numel() else 0.0
    scale = max(1.0, ref.abs().max().item() if ref.numel() else 0.0)
    assert error < tol * scale, (
        f"max abs error {error:.3g} exceeds {tol:g} x scale {scale:.3g} ({DTYPE_NAME} on {DEVICE})")


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same random state."""
    torch.manual_seed(0)
