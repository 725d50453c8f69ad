#include "orfeas/generate/photo_to_mesh.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "orfeas/generate/registry.h"

namespace orfeas {
namespace {

namespace fs = std::filesystem;

fs::path image(const char* name) { return fs::path(ORFEAS_TEST_DATA) / "images" / name; }

// A method that notes how many inputs each call gets, then generates them as inflate does; with
// option fail=1 it throws instead.
class BatchProbe : public Generator {
 public:
  static inline std::vector<std::size_t> batch_sizes;

  std::string_view name() const override { return "batch_probe"; }
  std::span<const OptionSpec> option_specs() const override { return kSpecs; }
  std::string batch_key(const nlohmann::json&) const override { return "batch_probe"; }
  std::vector<Field> generate(std::span<const GeneratorInput> inputs, const ProgressFn& progress,
                              const CancelToken& cancel) const override {
    batch_sizes.push_back(inputs.size());
    std::vector<GeneratorInput> inflate_inputs;
    for (const GeneratorInput& input : inputs) {
      if (input.options.at("fail") == 1) throw Error(ErrorCode::kInternal, "the probe failed");
      inflate_inputs.push_back({input.cutout,
                                {{"resolution", input.options.at("resolution")},
                                 {"size_mm", input.options.at("size_mm")}}});
    }
    return find_generator("inflate").generate(inflate_inputs, progress, cancel);
  }

 private:
  static constexpr OptionSpec kSpecs[] = {
      kResolutionOption, kSizeOption, {"fail", 0, 1, 0, true, "1: throw"}};
};

const bool kRegistered = [] {
  register_generator(std::make_unique<BatchProbe>());
  return true;
}();

class PhotosToMeshesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kRegistered);
    BatchProbe::batch_sizes.clear();
    options.method = "batch_probe";
    options.generator_options = {{"resolution", 32}, {"size_mm", 50}};
  }

  PhotoToMeshOptions options;
};

TEST_F(PhotosToMeshesTest, GivesTheGeneratorEveryPhotoInOneCall) {
  const std::vector<fs::path> photos = {image("object_on_white.jpg"), image("rgba_object.png"),
                                        image("object_on_white.jpg")};
  std::map<std::pair<std::size_t, std::string>, int> finished;  // (photo, stage) -> times
  const std::vector<PhotoMesh> results = photos_to_meshes(
      photos, options,
      [&](std::size_t photo, std::string_view stage, double fraction) {
        if (fraction == 1.0) ++finished[{photo, std::string(stage)}];
      },
      CancelToken());

  EXPECT_EQ(BatchProbe::batch_sizes, std::vector<std::size_t>{3});
  ASSERT_EQ(results.size(), 3u);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto* mesh = std::get_if<PrintableMesh>(&results[i]);
    ASSERT_NE(mesh, nullptr) << i;
    EXPECT_TRUE(mesh->report.closed);
    EXPECT_NEAR(std::max({mesh->report.bbox_mm.x, mesh->report.bbox_mm.y, mesh->report.bbox_mm.z}),
                50.0, 0.5);
    for (const char* stage : {"prepare", "field", "mesh"}) {
      EXPECT_EQ((finished[{i, stage}]), 1) << i << " " << stage;
    }
  }
}

TEST_F(PhotosToMeshesTest, APhotoThatIsNoImageFailsAlone) {
  const std::vector<fs::path> photos = {image("bad_text.txt"), image("object_on_white.jpg"),
                                        image("no_such_photo.png")};
  const std::vector<PhotoMesh> results = photos_to_meshes(photos, options, {}, CancelToken());

  EXPECT_EQ(BatchProbe::batch_sizes, std::vector<std::size_t>{1});
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(std::holds_alternative<Error>(results[0]));
  EXPECT_EQ(std::get<Error>(results[0]).code(), ErrorCode::kBadInput);
  EXPECT_TRUE(std::holds_alternative<PrintableMesh>(results[1]));
  ASSERT_TRUE(std::holds_alternative<Error>(results[2]));
  EXPECT_NE(std::get<Error>(results[2]).message().find("no_such_photo.png"), std::string::npos);
}

TEST_F(PhotosToMeshesTest, AGeneratorThatThrowsFailsEveryPhotoItWasGiven) {
  options.generator_options["fail"] = 1;
  const std::vector<fs::path> photos = {image("object_on_white.jpg"), image("bad_text.txt"),
                                        image("rgba_object.png")};
  const std::vector<PhotoMesh> results = photos_to_meshes(photos, options, {}, CancelToken());

  ASSERT_EQ(results.size(), 3u);
  for (std::size_t i : {0u, 2u}) {
    ASSERT_TRUE(std::holds_alternative<Error>(results[i]));
    EXPECT_EQ(std::get<Error>(results[i]).message(), "the probe failed");
  }
  EXPECT_EQ(std::get<Error>(results[1]).code(), ErrorCode::kBadInput);
}

TEST_F(PhotosToMeshesTest, BadOptionsThrowBeforeAnyPhotoIsRead) {
  options.generator_options["depth"] = 1;  // inflate's, not the probe's
  try {
    photos_to_meshes(std::vector<fs::path>{image("no_such_photo.png")}, options, {}, CancelToken());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("depth"), std::string::npos);
  }
  EXPECT_THROW(resolve_photo_to_mesh_options(options), Error);
  EXPECT_TRUE(BatchProbe::batch_sizes.empty());
}

TEST_F(PhotosToMeshesTest, ResolvedOptionsHaveTheMethodsDefaults) {
  options.method = "inflate";
  options.generator_options = {{"depth", 0.5}};
  const nlohmann::json resolved = resolve_photo_to_mesh_options(options);
  EXPECT_EQ(resolved["depth"], 0.5);
  EXPECT_EQ(resolved["resolution"], 192);
  EXPECT_EQ(resolved["size_mm"], 100.0);
}

TEST_F(PhotosToMeshesTest, ACancelledRunMakesNoMesh) {
  CancelToken cancel;
  cancel.cancel();
  const std::vector<PhotoMesh> results =
      photos_to_meshes(std::vector<fs::path>{image("object_on_white.jpg")}, options, {}, cancel);
  ASSERT_TRUE(std::holds_alternative<Error>(results[0]));
  EXPECT_EQ(std::get<Error>(results[0]).code(), ErrorCode::kCancelled);
  EXPECT_TRUE(BatchProbe::batch_sizes.empty());
}

}  // namespace
}  // namespace orfeas
