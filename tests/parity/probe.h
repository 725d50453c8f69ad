// The parity probe: `orfeas_neural_probe <module> <dir>` runs one of our neural modules on the
// config, weights and inputs the pytest side saved in <dir> and writes its outputs there, so the
// Python tests can compare them with the official hy3dgen module. Each module area registers its
// probe functions in its own tests/parity/probe_<area>.cc:
//
//   const ProbeRegistration kLinear("linear", [](const ProbeCall& call) -> TensorList {
//     Linear linear(call.weights, "", call.config["in"], call.config["out"]);
//     return {{"y", linear(call.input("x"))}};
//   });
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "orfeas/neural/safetensors.h"
#include "orfeas/neural/weights.h"

namespace orfeas::neural::parity {

struct ProbeCall {
  std::string module;
  nlohmann::json config;   // <dir>/config.json: the module's params, official names
  nlohmann::json options;  // <dir>/options.json, or {}; "device"/"dtype" also set `target`
  const Weights& weights;  // <dir>/weights.safetensors (empty when absent), converting to `target`
  std::map<std::string, at::Tensor> inputs;  // on target's device; floating ones in target's dtype
  at::TensorOptions target;  // select_device(options "device" or "cpu", "dtype" or "float32")

  // inputs.at(name), or Error(bad_input) naming the missing input.
  const at::Tensor& input(const std::string& name) const;
};

// Returns the named outputs (any device/dtype; written to outputs.safetensors as they are, on CPU).
using ProbeFn = std::function<TensorList(const ProbeCall&)>;

// Registers `fn` under `module` at static initialisation. A second registration of the same name
// aborts the probe at startup.
struct ProbeRegistration {
  ProbeRegistration(std::string module, ProbeFn fn);
};

}  // namespace orfeas::neural::parity
