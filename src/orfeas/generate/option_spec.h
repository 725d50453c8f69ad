// Declared generator options: one table per generator drives validation, defaults and the JSON
// Schema the service publishes.
#pragma once

#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

namespace orfeas {

struct OptionSpec {
  std::string_view name;
  double min;
  double max;
  double fallback;  // the default
  bool integer;
  std::string_view description;
};

// Returns `given` (a JSON object, or null for none) with every option present: given values
// validated, missing ones defaulted. Unknown names, non-numbers, non-integers where an integer is
// required and values outside [min, max] throw Error{kBadInput} naming the option.
nlohmann::json resolve_options(std::span<const OptionSpec> specs, const nlohmann::json& given);

// {"type":"object","additionalProperties":false,"properties":{name:{"type","minimum","maximum",
// "default","description"}}}
nlohmann::json options_schema(std::span<const OptionSpec> specs);

}  // namespace orfeas
