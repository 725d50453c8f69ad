// Declared generator options: one table per generator drives validation, defaults and the JSON
// Schema the service publishes.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace orfeas {

// A number option, or with `choices` a choice among names.
struct OptionSpec {
  std::string_view name;
  double min;
  double max;
  double fallback;  // the default
  bool integer;
  std::string_view description;
  // When not empty the option is a string, one of these, the first by default; min, max,
  // fallback and integer are then unused.
  std::span<const std::string> choices = {};
};

// Returns `given` (a JSON object, or null for none) with every option present: given values
// validated, missing ones defaulted. Unknown names, non-numbers, non-integers where an integer is
// required, values outside [min, max] and names not among the choices throw Error{kBadInput}
// naming the option.
nlohmann::json resolve_options(std::span<const OptionSpec> specs, const nlohmann::json& given);

// "a", "a or b", "a, b or c": names as alternatives, for messages and help texts.
std::string alternatives(std::span<const std::string_view> names);

// {"type":"object","additionalProperties":false,"properties":{name:{"type","minimum","maximum",
// "default","description"}}}; a choice is {"type":"string","enum":[...],"default","description"}.
nlohmann::json options_schema(std::span<const OptionSpec> specs);

}  // namespace orfeas
