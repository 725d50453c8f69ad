// `orfeas methods`: the generation methods this build has and each one's options (what
// `orfeas generate --method` and `--option NAME=VALUE` accept), as text or as JSON.
#pragma once

#include <CLI/CLI.hpp>

namespace orfeas {

struct MethodsArgs {
  bool json = false;  // print {"generators": [{"name", "options": <JSON Schema>}]} instead
};

CLI::App* add_methods_command(CLI::App& app, MethodsArgs& args);

// Prints one block per method on stdout: its name, then a line per option with its type, range,
// default and meaning (a choice's names follow it, a line each). Returns 0 (or reports an error as
// report_errors.h does). Throws nothing.
int run_methods(const MethodsArgs& args);

}  // namespace orfeas
