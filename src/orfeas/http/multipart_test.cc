#include "orfeas/http/multipart.h"

#include <gtest/gtest.h>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

constexpr std::string_view kType = "multipart/form-data; boundary=XyZ";

ErrorCode error_of(std::string_view content_type, std::string_view body,
                   const MultipartLimits& limits = {}) {
  try {
    parse_multipart(content_type, body, limits);
  } catch (const Error& error) {
    return error.code();
  }
  ADD_FAILURE() << "parsed: " << body;
  return ErrorCode::kInternal;
}

TEST(MultipartBoundary, ReadsPlainAndQuotedBoundaries) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;charset=x; Boundary=\"a b;c\""), "a b;c");
}

TEST(MultipartBoundary, RejectsOtherTypesAndBadBoundaries) {
  for (const std::string& type :
       {std::string("application/json"), std::string("multipart/form-data"),
        std::string("multipart/form-data; boundary="), std::string("multipart/form-data; boundary"),
        std::string("multipart/form-data; =x"), std::string("multipart/form-data; boundary=\"abc"),
        std::string("multipart/form-data; boundary=\"a\\\"b\""),
        std::string("multipart/form-data; boundary=\"ab\"c"),
        std::string("multipart/form-data; boundary=a; boundary=b"),
        "multipart/form-data; boundary=" + std::string(71, 'x')}) {
    EXPECT_THROW(multipart_boundary(type), Error) << type;
  }
}

TEST(ParseMultipart, ReadsFieldsAndFiles) {
  const std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"options\"\r\n"
      "\r\n"
      "{\"a\":1}\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=image; filename=\"cat.png\"\r\n"
      "Content-Type: image/png\r\n"
      "X-Ignored: yes\r\n"
      "\r\n"
      "\x89PNG\r\n--XY\r\n"
      "--XyZ--\r\n";
  const std::vector<MultipartPart> parts = parse_multipart(kType, body);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "options");
  EXPECT_FALSE(parts[0].filename);
  EXPECT_EQ(parts[0].content_type, "text/plain");
  EXPECT_EQ(parts[0].body, "{\"a\":1}");
  EXPECT_EQ(parts[1].name, "image");
  EXPECT_EQ(parts[1].filename, "cat.png");
  EXPECT_EQ(parts[1].content_type, "image/png");
  EXPECT_EQ(parts[1].body, "\x89PNG\r\n--XY");
  EXPECT_GE(parts[1].body.data(), body.data());  // a view into the body

  const std::vector<MultipartPart> empty_body =
      parse_multipart(kType, "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--XyZ--");
  ASSERT_EQ(empty_body.size(), 1u);
  EXPECT_EQ(empty_body[0].body, "");
}

TEST(ParseMultipart, RejectsMalformedBodies) {
  const std::string disposition = "Content-Disposition: form-data; name=a\r\n";
  for (const std::string& body : {
           std::string(""),
           "preamble\r\n--XyZ\r\n" + disposition + "\r\nx\r\n--XyZ--",  // preamble
           std::string("--XyZ--"),                                      // no parts
           "--XyZ\r\n" + disposition + "\r\nx",                         // truncated
           "--XyZ\r\n" + disposition + "\r\nx\r\n--XyZ",                // no close delimiter
           "--XyZ\r\n" + disposition + "\r\nx\r\n--XyZ--junk",          // epilogue
           "--XyZ " + disposition + "\r\nx\r\n--XyZ--",                 // no CRLF after boundary
           "--XyZ\r\n" + disposition,                                   // unterminated headers
           std::string("--XyZ\r\n\r\nx\r\n--XyZ--"),                    // no headers
           std::string("--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--"),
           std::string("--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--XyZ--"),
           std::string("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--XyZ--"),
           std::string("--XyZ\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--XyZ--"),
           std::string(
               "--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nx\r\n--XyZ--"),
           "--XyZ\r\n" + disposition + disposition + "\r\nx\r\n--XyZ--",
           "--XyZ\r\n" + disposition + "no colon\r\n\r\nx\r\n--XyZ--",
           "--XyZ\r\n" + disposition + ": no name\r\n\r\nx\r\n--XyZ--",
           "--XyZ\r\n" + disposition + "Content-Type:\r\n\r\nx\r\n--XyZ--",
       }) {
    EXPECT_EQ(error_of(kType, body), ErrorCode::kBadInput) << body;
  }
  EXPECT_EQ(error_of("text/plain", "--XyZ--"), ErrorCode::kBadInput);
}

TEST(ParseMultipart, EnforcesLimits) {
  const std::string part = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n";
  std::string many;
  for (int i = 0; i < 17; ++i) many += part;
  many += "--XyZ--";
  EXPECT_EQ(error_of(kType, many), ErrorCode::kTooLarge);
  EXPECT_EQ(parse_multipart(kType, many, {.max_parts = 17}).size(), 17u);

  const std::string long_header =
      "--XyZ\r\nContent-Disposition: form-data; name=a\r\nX: " + std::string(5000, 'x') +
      "\r\n\r\nx\r\n--XyZ--";
  EXPECT_EQ(error_of(kType, long_header), ErrorCode::kTooLarge);
}

}  // namespace
}  // namespace orfeas
