#include "orfeas/jobs/mesh_job_options.h"

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"

namespace orfeas {
namespace {

using test::code_of;
using test::error_of;

TEST(MeshJobOptionsTest, DefaultsAreTheCommandLinesAndEveryGeneratorOptionIsFilledIn) {
  MeshJobOptions options = MeshJobOptions::parse(nullptr);
  EXPECT_EQ(options.method, "inflate");
  EXPECT_EQ(options.format, MeshFormat::kStl);
  EXPECT_EQ(options.faces, 40000u);
  EXPECT_EQ(options.priority, 0);
  EXPECT_EQ(options.generator_options["resolution"], 192);
  EXPECT_EQ(options.generator_options["size_mm"], 100);
}

TEST(MeshJobOptionsTest, SplitsServiceOptionsFromGeneratorOptionsAndRoundTrips) {
  MeshJobOptions options = MeshJobOptions::parse(
      {{"method", "relief"}, {"format", "GLB"}, {"faces", 0}, {"priority", -5}, {"resolution", 64}});
  EXPECT_EQ(options.method, "relief");
  EXPECT_EQ(options.format, MeshFormat::kGlb);
  EXPECT_EQ(options.faces, 0u);
  EXPECT_EQ(options.priority, -5);
  EXPECT_EQ(options.generator_options["resolution"], 64);
  EXPECT_FALSE(options.generator_options.contains("format"));
  nlohmann::json stored = options.stored();
  EXPECT_EQ(stored["format"], "glb");
  EXPECT_EQ(stored["faces"], 0);
  MeshJobOptions back = MeshJobOptions::from_stored("relief", stored, -5);
  EXPECT_EQ(back.generator_options, options.generator_options);
  EXPECT_EQ(back.format, MeshFormat::kGlb);
  EXPECT_EQ(options.batch_key(), back.batch_key());
}

TEST(MeshJobOptionsTest, RefusesWhatCannotBeRightNamingTheOption) {
  EXPECT_EQ(code_of([] { MeshJobOptions::parse(nlohmann::json::array()); }), ErrorCode::kBadInput);
  EXPECT_EQ(error_of([] { MeshJobOptions::parse({{"method", "magic"}}); }).code(),
            ErrorCode::kBadInput);
  EXPECT_EQ(error_of([] { MeshJobOptions::parse({{"method", 3}}); }).details()["option"], "method");
  EXPECT_EQ(code_of([] { MeshJobOptions::parse({{"format", "dwg"}}); }), ErrorCode::kBadInput);
  EXPECT_EQ(error_of([] { MeshJobOptions::parse({{"faces", -1}}); }).details()["option"], "faces");
  EXPECT_EQ(code_of([] { MeshJobOptions::parse({{"faces", 1.5}}); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { MeshJobOptions::parse({{"faces", "many"}}); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { MeshJobOptions::parse({{"priority", 1001}}); }), ErrorCode::kBadInput);
  EXPECT_EQ(error_of([] { MeshJobOptions::parse({{"resolution", 4}}); }).details()["option"],
            "resolution");
}

}  // namespace
}  // namespace orfeas
