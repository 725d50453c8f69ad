#include "orfeas/http/base64.h"

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"

namespace orfeas {
namespace {

TEST(Base64Test, DecodesEveryPaddingLengthLineBreaksAndDataUrls) {
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("Zg=="), "f");
  EXPECT_EQ(decode_base64("Zm8="), "fo");
  EXPECT_EQ(decode_base64("Zm9v"), "foo");
  EXPECT_EQ(decode_base64("Zm9v\r\nYmFy"), "foobar");
  EXPECT_EQ(decode_base64("data:image/png;base64,AAEC/w=="), std::string("\x00\x01\x02\xff", 4));
}

TEST(Base64Test, RefusesWhatIsNotBase64) {
  for (const char* text : {"Zm9", "Zm9v!", "Z===", "Zg=a", "=Zg=", "data:image/png,Zm9v",
                           "data:image/png;base64"}) {
    EXPECT_EQ(test::code_of([&] { decode_base64(text); }), ErrorCode::kBadInput) << text;
  }
}

}  // namespace
}  // namespace orfeas
