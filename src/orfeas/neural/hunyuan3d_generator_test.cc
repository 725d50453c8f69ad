#include "orfeas/neural/hunyuan3d_generator.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "orfeas/core/test_errors.h"
#include "orfeas/generate/registry.h"
#include "orfeas/neural/hunyuan3d_test_model.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;

// A cutout of a disc of `radius` pixels on a 64-pixel square.
Cutout disc(int radius, cv::Scalar colour) {
  Cutout cutout{cv::Mat(64, 64, CV_8UC3, cv::Scalar(255, 255, 255)),
                cv::Mat::zeros(64, 64, CV_8UC1)};
  cv::circle(cutout.bgr, {32, 32}, radius, colour, cv::FILLED);
  cv::circle(cutout.mask, {32, 32}, radius, cv::Scalar(255), cv::FILLED);
  return cutout;
}

nlohmann::json options(int seed) {
  return {{"steps", 2}, {"resolution", 16}, {"seed", seed}, {"size_mm", 50}};
}

class Hunyuan3dGeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "hunyuan3d_generator_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    testing::write_model_directory(root_ / "dit", testing::tiny_checkpoint());
    settings_.model_directory = root_ / "dit";
    settings_.device = "cpu";
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  Hunyuan3dSettings settings_;
};

TEST(Hunyuan3dGenerator, JoinsTheRegistryWhenLinked) {
  const Generator& generator = find_generator("hunyuan3d");
  EXPECT_EQ(generator.name(), "hunyuan3d");
  const nlohmann::json resolved = generator.resolve(nlohmann::json::object());
  EXPECT_EQ(resolved["resolution"], 384);
  EXPECT_EQ(resolved["steps"], 50);
  EXPECT_EQ(resolved["guidance"], 5.0);
  EXPECT_TRUE(resolved.contains("seed"));
  EXPECT_TRUE(resolved.contains("size_mm"));
  EXPECT_EQ(orfeas::test::code_of([&] {
              generator.resolve({{"steps", 0}});
            }),
            ErrorCode::kBadInput);
}

TEST(Hunyuan3dGenerator, BatchesJobsThatDifferOnlyInSeedAndSize) {
  const Hunyuan3dGenerator generator(Hunyuan3dSettings{});
  const auto key = [&](const nlohmann::json& given) {
    return generator.batch_key(generator.resolve(given));
  };
  EXPECT_EQ(key({{"seed", 1}, {"size_mm", 30}}), key({{"seed", 2}}));
  EXPECT_NE(key({{"steps", 20}}), key({}));
  EXPECT_NE(key({{"guidance", 3}}), key({}));
  EXPECT_NE(key({{"resolution", 256}}), key({}));
}

TEST(Hunyuan3dGenerator, WithoutAModelItIsUnavailable) {
  const Hunyuan3dGenerator generator(Hunyuan3dSettings{});
  const std::vector<GeneratorInput> inputs = {{disc(20, {0, 0, 200}), options(1)}};
  const Error error =
      orfeas::test::error_of([&] { generator.generate(inputs, {}, CancelToken()); });
  EXPECT_EQ(error.code(), ErrorCode::kUnavailable);
  EXPECT_NE(error.message().find("ORFEAS_HUNYUAN3D_MODEL"), std::string::npos);
}

TEST_F(Hunyuan3dGeneratorTest, AModelThatCannotLoadIsUnavailable) {
  settings_.model_directory = root_ / "absent";
  const std::vector<GeneratorInput> inputs = {{disc(20, {0, 0, 200}), options(1)}};
  EXPECT_EQ(orfeas::test::code_of(
                [&] { Hunyuan3dGenerator(settings_).generate(inputs, {}, CancelToken()); }),
            ErrorCode::kUnavailable);
}

TEST_F(Hunyuan3dGeneratorTest, GeneratesClosedFieldsABatchAsItsJobsAlone) {
  const Hunyuan3dGenerator generator(settings_);
  const std::vector<GeneratorInput> inputs = {{disc(20, {0, 0, 200}), options(1)},
                                              {disc(12, {200, 0, 0}), options(2)},
                                              {disc(25, {0, 200, 0}), options(3)}};
  std::vector<double> fractions;
  const std::vector<Field> fields = generator.generate(
      inputs,
      [&](std::string_view stage, double f) {
        EXPECT_EQ(stage, "field");
        fractions.push_back(f);
      },
      CancelToken());
  ASSERT_EQ(fields.size(), 3u);
  // Progress after each of the 2 steps, then done.
  EXPECT_EQ(fractions.size(), 3u);
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
  EXPECT_EQ(fractions.back(), 1.0);
  for (size_t i = 0; i < fields.size(); ++i) {
    EXPECT_EQ(fields[i].nx, 19);  // 17 samples and the ring of outside
    EXPECT_TRUE(fields[i].is_closed());
    const std::vector<Field> alone =
        generator.generate(std::span(inputs).subspan(i, 1), {}, CancelToken());
    ASSERT_EQ(alone[0].values.size(), fields[i].values.size());
    for (size_t v = 0; v < alone[0].values.size(); ++v) {
      ASSERT_NEAR(alone[0].values[v], fields[i].values[v], 1e-4) << "job " << i << " sample " << v;
    }
  }
}

TEST_F(Hunyuan3dGeneratorTest, RunsMixedSettingsAsSeparateBatches) {
  const Hunyuan3dGenerator generator(settings_);
  nlohmann::json finer = options(1);
  finer["resolution"] = 20;
  const std::vector<GeneratorInput> inputs = {{disc(20, {0, 0, 200}), options(1)},
                                              {disc(20, {0, 0, 200}), finer}};
  const std::vector<Field> fields = generator.generate(inputs, {}, CancelToken());
  EXPECT_EQ(fields[0].nx, 19);
  EXPECT_EQ(fields[1].nx, 23);
}

TEST_F(Hunyuan3dGeneratorTest, CancelsBetweenSteps) {
  const Hunyuan3dGenerator generator(settings_);
  const std::vector<GeneratorInput> inputs = {{disc(20, {0, 0, 200}), options(1)}};
  CancelToken cancel;
  int reports = 0;
  const ErrorCode code = orfeas::test::code_of([&] {
    generator.generate(
        inputs,
        [&](std::string_view, double) {
          ++reports;
          cancel.cancel();
        },
        cancel);
  });
  EXPECT_EQ(code, ErrorCode::kCancelled);
  EXPECT_EQ(reports, 1);  // the first step reported, the second never ran
}

TEST_F(Hunyuan3dGeneratorTest, AJobPicksAModelBesideTheDefaultByName) {
  testing::write_model_directory(root_ / "hunyuan3d-dit-other", testing::tiny_checkpoint(7));
  const Hunyuan3dGenerator generator(settings_);
  const nlohmann::json model = generator.schema()["properties"]["model"];
  EXPECT_EQ(model["enum"], nlohmann::json({"dit", "hunyuan3d-dit-other"}));
  EXPECT_EQ(model["default"], "dit");
  EXPECT_EQ(orfeas::test::code_of([&] {
              generator.resolve({{"model", "hunyuan3d-dit-none"}});
            }),
            ErrorCode::kBadInput);
  nlohmann::json other = options(1);
  other["model"] = "hunyuan3d-dit-other";
  EXPECT_NE(generator.batch_key(generator.resolve(other)),
            generator.batch_key(generator.resolve(options(1))));

  // Default, other, default: each as the model alone gives it.
  const std::vector<GeneratorInput> inputs = {{disc(20, {0, 0, 200}), options(1)},
                                              {disc(20, {0, 0, 200}), other},
                                              {disc(20, {0, 0, 200}), options(1)}};
  const std::vector<Field> fields = generator.generate(inputs, {}, CancelToken());
  Hunyuan3dSettings other_settings = settings_;
  other_settings.model_directory = root_ / "hunyuan3d-dit-other";
  const Field other_alone = Hunyuan3dGenerator(other_settings)
                                .generate(std::span(inputs).first(1), {}, CancelToken())
                                .front();
  const Field default_alone =
      Hunyuan3dGenerator(settings_).generate(std::span(inputs).first(1), {}, CancelToken()).front();
  const auto max_difference = [](const Field& a, const Field& b) {
    float most = 0;
    for (size_t v = 0; v < a.values.size(); ++v) {
      most = std::max(most, std::abs(a.values[v] - b.values[v]));
    }
    return most;
  };
  EXPECT_LT(max_difference(fields[0], default_alone), 1e-4);
  EXPECT_LT(max_difference(fields[2], default_alone), 1e-4);
  EXPECT_LT(max_difference(fields[1], other_alone), 1e-4);
  EXPECT_GT(max_difference(fields[1], default_alone), 1e-2);  // another model's field
}

TEST(Hunyuan3dModelNames, AreTheDefaultThenTheReleasedDitDirectoriesBesideIt) {
  std::string pattern = ::testing::TempDir() + "hunyuan3d_model_names_test.XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path root = pattern;
  for (const char* model : {"hunyuan3d-dit-v2-0", "hunyuan3d-dit-v2-0-turbo",
                            "hunyuan3d-dit-v2-0-fast", "hunyuan3d-vae-v2-0", "my-dit"}) {
    fs::create_directories(root / model);
    std::ofstream(root / model / "config.yaml") << "model: {}\n";
  }
  fs::create_directories(root / "hunyuan3d-dit-v2-mini");  // no config.yaml: not a model
  std::ofstream(root / "hunyuan3d-dit-notes.txt") << "a file\n";

  EXPECT_EQ(hunyuan3d_model_names(root / "hunyuan3d-dit-v2-0-turbo/"),
            (std::vector<std::string>{"hunyuan3d-dit-v2-0-turbo", "hunyuan3d-dit-v2-0",
                                      "hunyuan3d-dit-v2-0-fast"}));
  EXPECT_EQ(hunyuan3d_model_names(root / "my-dit"),
            (std::vector<std::string>{"my-dit", "hunyuan3d-dit-v2-0", "hunyuan3d-dit-v2-0-fast",
                                      "hunyuan3d-dit-v2-0-turbo"}));
  EXPECT_EQ(hunyuan3d_model_names(root / "absent" / "hunyuan3d-dit-v2-0"),
            std::vector<std::string>{"hunyuan3d-dit-v2-0"});
  EXPECT_TRUE(hunyuan3d_model_names({}).empty());
  EXPECT_FALSE(Hunyuan3dGenerator(Hunyuan3dSettings{}).schema()["properties"].contains("model"));
  fs::remove_all(root);
}

TEST(SurroundedByOutside, ClosesAFieldWithoutMovingItsSamples) {
  Field field = Field::filled(2, 3, 4, 1.0f);  // all inside
  field.origin = {1, 2, 3};
  field.spacing = 0.5f;
  const Field closed = surrounded_by_outside(field, -1.0f);
  EXPECT_EQ(closed.nx, 4);
  EXPECT_EQ(closed.nz, 6);
  EXPECT_TRUE(closed.is_closed());
  EXPECT_EQ(closed.at(1, 1, 1), 1.0f);
  EXPECT_FLOAT_EQ(closed.position(1, 1, 1).x, 1.0f);
  EXPECT_FLOAT_EQ(closed.position(1, 1, 1).z, 3.0f);
}

}  // namespace
}  // namespace orfeas::neural
