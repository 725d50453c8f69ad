// What every `orfeas` subcommand does with a failure.
#pragma once

#include <functional>

namespace orfeas {

// Runs `command` and returns its exit code. When it throws, prints "orfeas: error: MESSAGE" on
// stderr and returns the Error's exit_code() (1 for anything that is not an Error).
int run_reporting_errors(const std::function<int()>& command);

}  // namespace orfeas
