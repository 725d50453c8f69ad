// Model hyper-parameters come from the model's config.yaml (the official Hunyuan3D-2 files). This
// reads the block-style YAML subset those files use into JSON: nested block maps, block lists
// ("- x"), flow lists ("[64, 64]"), comments, and plain or quoted scalars (int, float such as
// 1e-6 or .5, bool true/True/false/False, null/~/empty, strings). Each module's config struct has
// `static X from_json(const nlohmann::json& params)` taking the `params:` map of its section,
// with the official parameter names and defaults.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"

namespace orfeas::neural {

// Parses the file. Throws Error(not_found) if it cannot be read and Error(bad_input) naming the
// file and line on syntax outside the subset (flow maps, anchors, tags, multi-line strings,
// documents, tabs, inconsistent indentation, duplicate keys).
nlohmann::json read_yaml_config(const std::filesystem::path& file);

// The same, on text; `source` names it in errors.
nlohmann::json parse_yaml_config(std::string_view text, const std::string& source);

// Sets `field` from params[name] when present, else leaves its default. Throws
// Error(bad_input) "<model> config: bad value for <name>", details {"param", "reason"}, when the
// value has another type.
template <typename T>
void read_param(const nlohmann::json& params, const char* name, T& field, std::string_view model) {
  if (!params.contains(name)) return;
  try {
    field = params.at(name).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kBadInput, std::string(model) + " config: bad value for " + name,
                {{"param", name}, {"reason", e.what()}});
  }
}

}  // namespace orfeas::neural
