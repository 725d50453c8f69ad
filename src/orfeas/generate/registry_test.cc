#include "orfeas/generate/registry.h"

#include <gtest/gtest.h>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

TEST(RegistryTest, FindsEveryGeneratorByName) {
  for (std::string_view name : generator_names()) {
    EXPECT_EQ(find_generator(name).name(), name);
  }
  EXPECT_EQ(generator_names().front(), "inflate");
}

TEST(RegistryTest, UnknownMethodIsACallerError) {
  try {
    find_generator("photogrammetry");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("inflate"), std::string::npos);
  }
}

TEST(RegistryTest, TheNeuralMethodIsUnavailableInABuildWithoutIt) {
  // This test binary does not link the neural engine.
  try {
    find_generator("hunyuan3d");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
    EXPECT_NE(e.message().find("LibTorch"), std::string::npos);
  }
}

TEST(RegistryTest, EveryGeneratorTakesResolutionAndSize) {
  for (std::string_view name : generator_names()) {
    nlohmann::json schema = find_generator(name).schema();
    EXPECT_TRUE(schema["properties"].contains("resolution")) << name;
    EXPECT_TRUE(schema["properties"].contains("size_mm")) << name;
  }
}

}  // namespace
}  // namespace orfeas
