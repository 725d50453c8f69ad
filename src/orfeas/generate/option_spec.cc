#include "orfeas/generate/option_spec.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

const OptionSpec* find_spec(std::span<const OptionSpec> specs, std::string_view name) {
  for (const OptionSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string known_names(std::span<const OptionSpec> specs) {
  std::string names;
  for (const OptionSpec& spec : specs) {
    if (!names.empty()) names += ", ";
    names += spec.name;
  }
  return names;
}

nlohmann::json checked_choice(const OptionSpec& spec, const nlohmann::json& value) {
  const std::string name(spec.name);
  if (!value.is_string() || std::find(spec.choices.begin(), spec.choices.end(),
                                      value.get<std::string>()) == spec.choices.end()) {
    const std::vector<std::string_view> names(spec.choices.begin(), spec.choices.end());
    throw Error(ErrorCode::kBadInput, "option '" + name + "' must be " + alternatives(names),
                {{"option", name}, {"choices", spec.choices}});
  }
  return value;
}

nlohmann::json checked_value(const OptionSpec& spec, const nlohmann::json& value) {
  if (!spec.choices.empty()) return checked_choice(spec, value);
  const std::string name(spec.name);
  if (!value.is_number()) {
    throw Error(ErrorCode::kBadInput, "option '" + name + "' must be a number", {{"option", name}});
  }
  const double v = value.get<double>();
  if (spec.integer && v != std::floor(v)) {
    throw Error(ErrorCode::kBadInput, "option '" + name + "' must be a whole number",
                {{"option", name}});
  }
  if (!(v >= spec.min && v <= spec.max)) {
    throw Error(ErrorCode::kBadInput,
                "option '" + name + "' must be between " + nlohmann::json(spec.min).dump() +
                    " and " + nlohmann::json(spec.max).dump(),
                {{"option", name}, {"minimum", spec.min}, {"maximum", spec.max}});
  }
  if (spec.integer) return static_cast<long long>(v);
  return v;
}

}  // namespace

std::string alternatives(std::span<const std::string_view> names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
    text += names[i];
  }
  return text;
}

nlohmann::json resolve_options(std::span<const OptionSpec> specs, const nlohmann::json& given) {
  if (!given.is_null() && !given.is_object()) {
    throw Error(ErrorCode::kBadInput, "options must be a JSON object");
  }
  nlohmann::json resolved = nlohmann::json::object();
  if (given.is_object()) {
    for (const auto& [name, value] : given.items()) {
      const OptionSpec* spec = find_spec(specs, name);
      if (spec == nullptr) {
        throw Error(ErrorCode::kBadInput,
                    "unknown option '" + name + "' (known: " + known_names(specs) + ")",
                    {{"option", name}});
      }
      resolved[name] = checked_value(*spec, value);
    }
  }
  for (const OptionSpec& spec : specs) {
    const std::string name(spec.name);
    if (!resolved.contains(name)) {
      resolved[name] = spec.choices.empty() ? checked_value(spec, spec.fallback)
                                            : nlohmann::json(spec.choices.front());
    }
  }
  return resolved;
}

nlohmann::json options_schema(std::span<const OptionSpec> specs) {
  nlohmann::json properties = nlohmann::json::object();
  for (const OptionSpec& spec : specs) {
    if (!spec.choices.empty()) {
      properties[std::string(spec.name)] = {
          {"type", "string"},
          {"enum", spec.choices},
          {"default", spec.choices.front()},
          {"description", spec.description},
      };
      continue;
    }
    properties[std::string(spec.name)] = {
        {"type", spec.integer ? "integer" : "number"},
        {"minimum", spec.min},
        {"maximum", spec.max},
        {"default", spec.fallback},
        {"description", spec.description},
    };
  }
  return {{"type", "object"}, {"additionalProperties", false}, {"properties", properties}};
}

}  // namespace orfeas
