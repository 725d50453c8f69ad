#include "orfeas/core/error.h"

#include <variant>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas {
namespace {

TEST(ErrorTest, CarriesCodeMessageAndDetails) {
  Error e(ErrorCode::kTooLarge, "image is 20000 pixels wide", {{"width", 20000}});
  EXPECT_EQ(e.code(), ErrorCode::kTooLarge);
  EXPECT_STREQ(e.what(), "image is 20000 pixels wide");
  EXPECT_EQ(e.details()["width"], 20000);
}

TEST(ErrorTest, JsonBodyFollowsTheSchema) {
  Error e(ErrorCode::kBadInput, "bad option");
  nlohmann::json body = e.to_json();
  EXPECT_EQ(body["error"]["code"], "bad_input");
  EXPECT_EQ(body["error"]["message"], "bad option");
  EXPECT_TRUE(body["error"]["details"].is_object());
}

TEST(ErrorTest, MapsEveryCodeToStatusAndExitCode) {
  struct Row {
    ErrorCode code;
    const char* name;
    int status;
    int exit;
  };
  const Row rows[] = {
      {ErrorCode::kBadInput, "bad_input", 400, 2},
      {ErrorCode::kTooLarge, "too_large", 413, 2},
      {ErrorCode::kUnauthorized, "unauthorized", 401, 2},
      {ErrorCode::kForbidden, "forbidden", 403, 2},
      {ErrorCode::kNotFound, "not_found", 404, 2},
      {ErrorCode::kConflict, "conflict", 409, 2},
      {ErrorCode::kRateLimited, "rate_limited", 429, 2},
      {ErrorCode::kUnavailable, "unavailable", 503, 1},
      {ErrorCode::kCancelled, "cancelled", 409, 1},
      {ErrorCode::kInternal, "internal", 500, 1},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(error_code_name(row.code), row.name);
    EXPECT_EQ(http_status(row.code), row.status) << row.name;
    EXPECT_EQ(exit_code(row.code), row.exit) << row.name;
  }
}

TEST(RecordErrorsTest, AThrowingStepFailsTheItemsItServedOnly) {
  using Outcome = std::variant<int, Error>;
  std::vector<Outcome> outcomes(3, 0);
  const std::vector<std::size_t> served = {0, 2};
  record_errors(outcomes, served, [] { throw Error(ErrorCode::kTooLarge, "too big"); });
  EXPECT_EQ(std::get<Error>(outcomes[0]).code(), ErrorCode::kTooLarge);
  EXPECT_EQ(std::get<int>(outcomes[1]), 0);
  EXPECT_EQ(std::get<Error>(outcomes[2]).message(), "too big");

  record_errors(outcomes, std::span(served).first(1), [] { throw std::runtime_error("disk"); });
  EXPECT_EQ(std::get<Error>(outcomes[0]).code(), ErrorCode::kInternal);
  EXPECT_EQ(std::get<Error>(outcomes[0]).message(), "disk");

  record_errors(outcomes, served, [&] { outcomes[1] = 7; });
  EXPECT_EQ(std::get<int>(outcomes[1]), 7);
  EXPECT_EQ(std::get<Error>(outcomes[2]).message(), "too big");
}

}  // namespace
}  // namespace orfeas
