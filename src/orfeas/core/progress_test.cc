#include "orfeas/core/progress.h"
#include "orfeas/core/error.h"

#include <gtest/gtest.h>

namespace orfeas {
namespace {

TEST(CancelTokenTest, ThrowsCancelledOnceCancelled) {
  CancelToken token;
  EXPECT_NO_THROW(token.throw_if_cancelled());
  token.cancel();
  try {
    token.throw_if_cancelled();
    FAIL() << "expected a throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  }
}

}  // namespace
}  // namespace orfeas
