#include "orfeas/cli/methods_command.h"

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "orfeas/cli/report_errors.h"
#include "orfeas/generate/registry.h"

namespace orfeas {
namespace {

// 192, 0.8, 4294967295: whole numbers without a fraction or an exponent.
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, value == static_cast<long long>(value) ? "%.0f" : "%g", value);
  return text;
}

int print_methods(const MethodsArgs& args) {
  nlohmann::json generators = nlohmann::json::array();
  for (std::string_view name : generator_names()) {
    const Generator& generator = find_generator(name);
    if (args.json) {
      generators.push_back({{"name", name}, {"options", generator.schema()}});
      continue;
    }
    std::printf("%.*s\n", static_cast<int>(name.size()), name.data());
    for (const OptionSpec& spec : generator.option_specs()) {
      const bool choice = !spec.choices.empty();
      const std::string range = choice ? "default " + spec.choices.front()
                                       : number(spec.min) + " to " + number(spec.max) +
                                             ", default " + number(spec.fallback);
      std::printf(
          "  %-18.*s %-7s %-28s %.*s\n", static_cast<int>(spec.name.size()), spec.name.data(),
          choice         ? "string"
          : spec.integer ? "integer"
                         : "number",
          range.c_str(), static_cast<int>(spec.description.size()), spec.description.data());
      for (const std::string& name : spec.choices) std::printf("    - %s\n", name.c_str());
    }
  }
  if (args.json) std::printf("%s\n", nlohmann::json{{"generators", generators}}.dump(2).c_str());
  return 0;
}

}  // namespace

CLI::App* add_methods_command(CLI::App& app, MethodsArgs& args) {
  CLI::App* cmd = app.add_subcommand("methods", "list the generation methods and their options");
  cmd->add_flag("--json", args.json, "print JSON (each method's options as a JSON Schema)");
  return cmd;
}

int run_methods(const MethodsArgs& args) {
  return run_reporting_errors([&] { return print_methods(args); });
}

}  // namespace orfeas
