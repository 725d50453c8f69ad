#include "orfeas/generate/option_spec.h"

#include <gtest/gtest.h>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

constexpr OptionSpec kSpecs[] = {
    {"steps", 1, 100, 50, true, "sampling steps"},
    {"scale", 0, 10, 2.5, false, "a scale"},
};

ErrorCode code_of(const nlohmann::json& given) {
  try {
    resolve_options(kSpecs, given);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kInternal;
}

TEST(OptionSpecTest, FillsDefaults) {
  nlohmann::json r = resolve_options(kSpecs, nullptr);
  EXPECT_EQ(r["steps"], 50);
  EXPECT_TRUE(r["steps"].is_number_integer());
  EXPECT_DOUBLE_EQ(r["scale"].get<double>(), 2.5);
}

TEST(OptionSpecTest, KeepsValidValues) {
  nlohmann::json r = resolve_options(kSpecs, {{"steps", 10.0}, {"scale", 0}});
  EXPECT_EQ(r["steps"], 10);
  EXPECT_EQ(r["scale"], 0.0);
}

TEST(OptionSpecTest, RejectsBadOptions) {
  EXPECT_EQ(code_of({{"colour", 1}}), ErrorCode::kBadInput);
  EXPECT_EQ(code_of({{"steps", "ten"}}), ErrorCode::kBadInput);
  EXPECT_EQ(code_of({{"steps", 2.5}}), ErrorCode::kBadInput);
  EXPECT_EQ(code_of({{"steps", 0}}), ErrorCode::kBadInput);
  EXPECT_EQ(code_of({{"scale", 10.5}}), ErrorCode::kBadInput);
  EXPECT_EQ(code_of({{"scale", std::nan("")}}), ErrorCode::kBadInput);
  EXPECT_EQ(code_of(nlohmann::json::array()), ErrorCode::kBadInput);
}

TEST(OptionSpecTest, ErrorNamesTheOption) {
  try {
    resolve_options(kSpecs, {{"scale", 11}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("scale"), std::string::npos);
    EXPECT_EQ(e.details()["option"], "scale");
  }
}

TEST(OptionSpecTest, SchemaDescribesEveryOption) {
  nlohmann::json s = options_schema(kSpecs);
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_EQ(s["properties"]["steps"]["type"], "integer");
  EXPECT_EQ(s["properties"]["scale"]["type"], "number");
  EXPECT_EQ(s["properties"]["scale"]["default"], 2.5);
}

}  // namespace
}  // namespace orfeas
