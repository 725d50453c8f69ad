// Test helpers: what an action throws.
#pragma once

#include <functional>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"

namespace orfeas::test {

// The Error `action` throws; a test failure (and an internal error) if it throws none.
inline Error error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error(ErrorCode::kInternal, "no Error thrown");
}

// The code of the Error `action` throws.
inline ErrorCode code_of(const std::function<void()>& action) { return error_of(action).code(); }

}  // namespace orfeas::test
