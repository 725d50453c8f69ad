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

const std::string kModels[] = {"small", "large"};
constexpr OptionSpec kChoiceSpecs[] = {
    {"steps", 1, 100, 50, true, "sampling steps"},
    {"model", 0, 0, 0, false, "which model", kModels},
};

TEST(OptionSpecTest, AChoiceDefaultsToTheFirstAndTakesOnlyItsNames) {
  EXPECT_EQ(resolve_options(kChoiceSpecs, nullptr)["model"], "small");
  EXPECT_EQ(resolve_options(kChoiceSpecs, {{"model", "large"}})["model"], "large");
  for (const nlohmann::json& bad : {nlohmann::json("huge"), nlohmann::json(1),
                                    nlohmann::json("Large"), nlohmann::json(nullptr)}) {
    try {
      resolve_options(kChoiceSpecs, {{"model", bad}});
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
      EXPECT_EQ(e.message(), "option 'model' must be small or large");
      EXPECT_EQ(e.details()["choices"], nlohmann::json({"small", "large"}));
    }
  }
}

TEST(OptionSpecTest, AChoiceIsAStringEnumInTheSchema) {
  const nlohmann::json model = options_schema(kChoiceSpecs)["properties"]["model"];
  EXPECT_EQ(model, nlohmann::json({{"type", "string"},
                                   {"enum", {"small", "large"}},
                                   {"default", "small"},
                                   {"description", "which model"}}));
}

TEST(OptionSpecTest, AlternativesReadAsAList) {
  using Names = std::vector<std::string_view>;
  EXPECT_EQ(alternatives(Names{}), "");
  EXPECT_EQ(alternatives(Names{"a"}), "a");
  EXPECT_EQ(alternatives(Names{"a", "b"}), "a or b");
  EXPECT_EQ(alternatives(Names{"a", "b", "c"}), "a, b or c");
}

}  // namespace
}  // namespace orfeas
