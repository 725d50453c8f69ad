// orfeas_neural_probe <module> <dir>: see probe.h. Exit status 0 on success, 2 for a caller error
// (unknown module, malformed files, missing tensors), 1 for anything else.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <utility>

#include "orfeas/core/error.h"
#include "orfeas/neural/device.h"
#include "orfeas/neural/safetensors.h"
#include "orfeas/neural/weights.h"
#include "probe.h"

namespace orfeas::neural::parity {
namespace {

namespace fs = std::filesystem;

std::map<std::string, ProbeFn>& registry() {
  static std::map<std::string, ProbeFn> probes;
  return probes;
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(ErrorCode::kBadInput, "cannot read '" + file.string() + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorCode::kBadInput, "'" + file.string() + "' is not valid JSON: " + e.what());
  }
}

std::string registered_modules() {
  std::string names;
  for (const auto& [name, fn] : registry()) names += (names.empty() ? "" : ", ") + name;
  return names;
}

void run(const std::string& module, const fs::path& dir) {
  const auto probe = registry().find(module);
  if (probe == registry().end()) {
    throw Error(ErrorCode::kBadInput,
                "unknown module '" + module + "' (registered: " + registered_modules() + ")");
  }
  const nlohmann::json options =
      fs::exists(dir / "options.json") ? read_json(dir / "options.json") : nlohmann::json::object();
  const at::TensorOptions target =
      select_device(options.value("device", "cpu"), options.value("dtype", "float32"));
  const Weights weights = fs::exists(dir / "weights.safetensors")
                              ? Weights::load(dir / "weights.safetensors", target)
                              : Weights({}, target);
  std::map<std::string, at::Tensor> inputs;
  if (fs::exists(dir / "inputs.safetensors")) {
    for (auto& [name, tensor] : read_safetensors(dir / "inputs.safetensors")) {
      const at::ScalarType type = at::isFloatingType(tensor.scalar_type())
                                      ? target.dtype().toScalarType()
                                      : tensor.scalar_type();
      inputs.emplace(name, tensor.to(target.device(), type));
    }
  }
  const ProbeCall call{module, read_json(dir / "config.json"), options, weights, std::move(inputs),
                       target};
  const TensorList outputs = probe->second(call);
  write_safetensors(dir / "outputs.safetensors", outputs);
}

}  // namespace

const at::Tensor& ProbeCall::input(const std::string& name) const {
  const auto found = inputs.find(name);
  if (found == inputs.end()) {
    throw Error(ErrorCode::kBadInput, "probe '" + module + "' needs input '" + name + "'");
  }
  return found->second;
}

ProbeRegistration::ProbeRegistration(std::string module, ProbeFn fn) {
  if (!registry().emplace(module, std::move(fn)).second) {
    std::fprintf(stderr, "orfeas_neural_probe: module '%s' registered twice\n", module.c_str());
    std::abort();
  }
}

}  // namespace orfeas::neural::parity

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: orfeas_neural_probe <module> <dir>\n"
                 "Runs one neural module on <dir>/{config.json, weights.safetensors, "
                 "inputs.safetensors, options.json} and writes <dir>/outputs.safetensors.\n";
    return 2;
  }
  try {
    orfeas::neural::parity::run(argv[1], argv[2]);
    return 0;
  } catch (const orfeas::Error& e) {
    std::cerr << "orfeas_neural_probe: " << e.message() << "\n";
    return orfeas::exit_code(e.code());
  } catch (const std::exception& e) {
    std::cerr << "orfeas_neural_probe: " << e.what() << "\n";
    return 1;
  }
}
