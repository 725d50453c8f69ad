#include "orfeas/cli/report_errors.h"

#include <cstdio>
#include <exception>

#include "orfeas/core/error.h"

namespace orfeas {

int run_reporting_errors(const std::function<int()>& command) {
  try {
    return command();
  } catch (const Error& e) {
    std::fprintf(stderr, "orfeas: error: %s\n", e.message().c_str());
    return exit_code(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orfeas: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace orfeas
