// Probes of the shared layers, so that the parity harness itself is tested (test_layers.py).
#include "orfeas/neural/layers.h"
#include "probe.h"

namespace orfeas::neural::parity {
namespace {

// config: {"in_features", "out_features", "bias"}; input "x"; output "y".
const ProbeRegistration kLinear("linear", [](const ProbeCall& call) -> TensorList {
  const Linear linear(call.weights, "", call.config.at("in_features"),
                      call.config.at("out_features"), call.config.value("bias", true));
  call.weights.expect_all_taken();
  return {{"y", linear(call.input("x"))}};
});

// config: {"normalized_shape", "eps", "elementwise_affine"}; input "x"; output "y".
const ProbeRegistration kLayerNorm("layer_norm", [](const ProbeCall& call) -> TensorList {
  const LayerNorm norm(call.weights, "", call.config.at("normalized_shape"),
                       call.config.value("eps", 1e-5),
                       call.config.value("elementwise_affine", true));
  call.weights.expect_all_taken();
  return {{"y", norm(call.input("x"))}};
});

}  // namespace
}  // namespace orfeas::neural::parity
