"""The shared layers against torch.nn, which also tests the parity harness itself."""
import pytest
import torch

from conftest import DEVICE, DTYPE, ProbeError, assert_parity, run_probe


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias):
    layer = torch.nn.Linear(48, 24, bias=bias)
    x = torch.randn(2, 5, 48)
    ours = run_probe("linear", {"in_features": 48, "out_features": 24, "bias": bias},
                     layer.state_dict(), {"x": x})["y"]
    ref = layer.to(DEVICE, DTYPE)(x.to(DEVICE, DTYPE))
    assert_parity(ours, ref)


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(affine):
    layer = torch.nn.LayerNorm(32, eps=1e-6, elementwise_affine=affine)
    if affine:  # not the identity initialisation, so the weights matter
        torch.nn.init.normal_(layer.weight)
        torch.nn.init.normal_(layer.bias)
    x = torch.randn(3, 7, 32) * 4 + 1
    ours = run_probe("layer_norm",
                     {"normalized_shape": 32, "eps": 1e-6, "elementwise_affine": affine},
                     layer.state_dict(), {"x": x})["y"]
    ref = layer.to(DEVICE, DTYPE)(x.to(DEVICE, DTYPE))
    assert_parity(ours, ref)


def test_parity_detects_a_wrong_weight():
    layer = torch.nn.Linear(8, 8)
    x = torch.randn(4, 8)
    state = {name: t.clone() for name, t in layer.state_dict().items()}
    state["weight"][0, 0] += 1.0
    ours = run_probe("linear", {"in_features": 8, "out_features": 8}, state, {"x": x})["y"]
    with pytest.raises(AssertionError, match="max abs error"):
        assert_parity(ours, layer.to(DEVICE, DTYPE)(x.to(DEVICE, DTYPE)))


def test_probe_rejects_an_unknown_module():
    with pytest.raises(ProbeError) as failure:
        run_probe("no_such_module", {}, {}, {"x": torch.zeros(1)})
    assert failure.value.returncode == 2
    assert "no_such_module" in failure.value.stderr


def test_probe_names_a_missing_tensor():
    layer = torch.nn.Linear(8, 8)
    with pytest.raises(ProbeError) as failure:
        run_probe("linear", {"in_features": 8, "out_features": 8}, {"weight": layer.weight},
                  {"x": torch.zeros(1, 8)})
    assert failure.value.returncode == 2
    assert "'bias'" in failure.value.stderr


def test_probe_names_a_left_over_tensor():
    layer = torch.nn.Linear(8, 8)
    state = {**layer.state_dict(), "extra.weight": torch.zeros(3)}
    with pytest.raises(ProbeError) as failure:
        run_probe("linear", {"in_features": 8, "out_features": 8}, state, {"x": torch.zeros(1, 8)})
    assert "extra.weight" in failure.value.stderr
