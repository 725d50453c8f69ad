#include "orfeas/auth/random_token.h"

#include <set>

#include <gtest/gtest.h>

namespace orfeas {
namespace {

TEST(RandomTokenTest, HexIsLowercaseTwoDigitsAByte) {
  EXPECT_EQ(lower_hex(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  EXPECT_EQ(lower_hex(""), "");
}

TEST(RandomTokenTest, TokensHaveTheirSizeAndDoNotRepeat) {
  EXPECT_EQ(random_bytes(32).size(), 32u);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string token = random_hex(16);
    ASSERT_EQ(token.size(), 32u);
    ASSERT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace orfeas
