#include "orfeas/neural/hunyuan3d_model.h"

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "orfeas/core/error.h"
#include "orfeas/neural/config.h"
#include "orfeas/neural/safetensors.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;

Error bad_config(const std::string& message, nlohmann::json details = nlohmann::json::object()) {
  return Error(ErrorCode::kBadInput, "model config: " + message, std::move(details));
}

// The `section` map of `config`, its target checked to name `class_name` (its last component).
const nlohmann::json& section(const nlohmann::json& config, const std::string& name,
                              std::string_view class_name) {
  if (!config.is_object() || !config.contains(name) || !config.at(name).is_object()) {
    throw bad_config("the section '" + name + "' is missing", {{"section", name}});
  }
  const nlohmann::json& found = config.at(name);
  const std::string target = found.value("target", "");
  if (target.substr(target.rfind('.') + 1) != class_name) {
    throw bad_config("section '" + name + "' has target '" + target + "'; this engine runs " +
                         std::string(class_name) + " (hy3dgen 2.0.2) there",
                     {{"section", name}, {"target", target}});
  }
  return found;
}

nlohmann::json params_of(const nlohmann::json& section) {
  return section.value("params", nlohmann::json::object());
}

// Runs `read`, prefixing any error with the section it reads.
template <typename Read>
auto in_section(const std::string& name, Read read) {
  try {
    return read();
  } catch (const Error& e) {
    throw Error(e.code(), "model config section '" + name + "': " + e.message(), e.details());
  }
}

void check_fit(const Hunyuan3dConfig& config) {
  if (config.dit.in_channels != config.vae.embed_dim) {
    throw bad_config(
        "the DiT's in_channels differ from the VAE's embed_dim",
        {{"in_channels", config.dit.in_channels}, {"embed_dim", config.vae.embed_dim}});
  }
  if (config.dit.context_in_dim != config.conditioner.hidden_size) {
    throw bad_config("the DiT's context_in_dim differs from the image encoder's hidden_size",
                     {{"context_in_dim", config.dit.context_in_dim},
                      {"hidden_size", config.conditioner.hidden_size}});
  }
}

// Runs `load`, naming `file` in any error it throws.
template <typename Load>
auto naming_file(const fs::path& file, Load load) {
  try {
    return load();
  } catch (const Error& e) {
    nlohmann::json details = e.details();
    details["path"] = file.string();
    throw Error(e.code(), "'" + file.string() + "': " + e.message(), std::move(details));
  }
}

fs::path existing_file(const fs::path& directory, const char* name) {
  if (!fs::is_directory(directory)) {
    throw Error(ErrorCode::kNotFound, "model directory '" + directory.string() + "' not found",
                {{"path", directory.string()}});
  }
  const fs::path file = directory / name;
  if (!fs::is_regular_file(file)) {
    throw Error(ErrorCode::kNotFound, "model directory '" + directory.string() + "' has no " + name,
                {{"path", file.string()}});
  }
  return file;
}

// The tensors of `file`; with `drop_prefix`, those under it are left out.
std::map<std::string, at::Tensor> read_tensors(const fs::path& file,
                                               const std::string& drop_prefix = {}) {
  std::map<std::string, at::Tensor> tensors;
  for (auto& [name, tensor] : read_safetensors(file)) {
    if (drop_prefix.empty() || name.rfind(drop_prefix, 0) != 0) {
      tensors.emplace(std::move(name), std::move(tensor));
    }
  }
  return tensors;
}

}  // namespace

Hunyuan3dConfig Hunyuan3dConfig::from_json(const nlohmann::json& config) {
  Hunyuan3dConfig result;
  const nlohmann::json model = section(config, "model", "Hunyuan3DDiT");
  result.dit = in_section("model", [&] { return DitConfig::from_json(params_of(model)); });
  const nlohmann::json vae = section(config, "vae", "ShapeVAE");
  result.vae = in_section("vae", [&] { return VaeConfig::from_json(params_of(vae)); });
  const nlohmann::json conditioner = section(config, "conditioner", "SingleImageEncoder");
  result.conditioner = in_section(
      "conditioner", [&] { return DinoConfig::from_conditioner_params(params_of(conditioner)); });
  if (!config.contains("scheduler") || !config.at("scheduler").is_object()) {
    throw bad_config("the section 'scheduler' is missing", {{"section", "scheduler"}});
  }
  const nlohmann::json scheduler = config.at("scheduler");
  result.scheduler = in_section("scheduler", [&] {
    return FlowSchedulerConfig::from_json(scheduler.value("target", ""), params_of(scheduler));
  });
  const nlohmann::json processor = section(config, "image_processor", "ImageProcessorV2");
  result.image_processor = in_section(
      "image_processor", [&] { return ImageProcessorConfig::from_json(params_of(processor)); });
  check_fit(result);
  return result;
}

void Hunyuan3dConfig::replace_vae(const nlohmann::json& vae_directory_config) {
  const std::string target =
      vae_directory_config.is_object() ? vae_directory_config.value("target", "") : "";
  if (target.substr(target.rfind('.') + 1) != "ShapeVAE") {
    throw bad_config("a VAE config must have target ShapeVAE, not '" + target + "'",
                     {{"target", target}});
  }
  vae = in_section("vae", [&] { return VaeConfig::from_json(params_of(vae_directory_config)); });
  check_fit(*this);
}

Hunyuan3dModel::Hunyuan3dModel(const Hunyuan3dConfig& config, const Weights& weights)
    : config(config),
      conditioner(weights.scope("conditioner.main_image_encoder"), config.conditioner),
      dit(weights.scope("model"), config.dit),
      vae(weights.scope("vae"), config.vae) {
  weights.expect_all_taken();
}

Hunyuan3dModel::Hunyuan3dModel(const Hunyuan3dConfig& config, const Weights& weights,
                               const Weights& vae_weights)
    : config(config),
      conditioner(weights.scope("conditioner.main_image_encoder"), config.conditioner),
      dit(weights.scope("model"), config.dit),
      vae(vae_weights, config.vae) {
  weights.expect_all_taken();
  vae_weights.expect_all_taken();
}

Hunyuan3dModel Hunyuan3dModel::load(const fs::path& directory, at::TensorOptions target,
                                    const fs::path& vae_directory) {
  const fs::path config_file = existing_file(directory, kModelConfigFile);
  const fs::path weights_file = existing_file(directory, kModelWeightsFile);
  Hunyuan3dConfig config = naming_file(
      config_file, [&] { return Hunyuan3dConfig::from_json(read_yaml_config(config_file)); });
  if (vae_directory.empty()) {
    return naming_file(weights_file, [&] {
      return Hunyuan3dModel(config, Weights(read_tensors(weights_file), target));
    });
  }
  const fs::path vae_config_file = existing_file(vae_directory, kModelConfigFile);
  const fs::path vae_weights_file = existing_file(vae_directory, kModelWeightsFile);
  naming_file(vae_config_file, [&] {
    config.replace_vae(read_yaml_config(vae_config_file));
    return 0;
  });
  // The bundled VAE is replaced: its tensors are not read. Strictness holds for the rest.
  const Weights weights = naming_file(
      weights_file, [&] { return Weights(read_tensors(weights_file, "vae."), target); });
  const Weights vae_weights = naming_file(
      vae_weights_file, [&] { return Weights(read_tensors(vae_weights_file), target); });
  return Hunyuan3dModel(config, weights, vae_weights);
}

}  // namespace orfeas::neural
