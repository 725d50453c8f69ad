#include "orfeas/neural/weights.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "orfeas/core/test_errors.h"
#include "orfeas/neural/safetensors.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;
using test::error_of;

std::map<std::string, at::Tensor> two_blocks() {
  return {{"blocks.0.weight", at::ones({2, 3})},
          {"blocks.0.bias", at::zeros({2})},
          {"blocks.1.weight", at::ones({2, 3})},
          {"steps", at::arange(4)}};
}

TEST(WeightsTest, TakesTensorsConvertedToTheTarget) {
  const Weights w(two_blocks(), at::TensorOptions().dtype(at::kHalf));
  const at::Tensor weight = w.take("blocks.0.weight", {2, 3});
  EXPECT_EQ(weight.scalar_type(), at::kHalf);
  EXPECT_EQ(weight[1][2].item<float>(), 1.0f);
  EXPECT_EQ(w.take("steps", {4}).scalar_type(), at::kLong);  // integers keep their dtype
  EXPECT_EQ(Weights(two_blocks()).take("blocks.0.bias", {2}).scalar_type(), at::kFloat);
}

TEST(WeightsTest, ScopesNameTensorsRelativeToTheirPrefix) {
  const Weights w(two_blocks());
  const Weights block = w.scope("blocks").scope("1");
  EXPECT_TRUE(block.has("weight"));
  EXPECT_FALSE(block.has("bias"));
  EXPECT_FALSE(w.scope("block").has("s.0.weight"));  // a prefix is whole name parts
  EXPECT_EQ(block.take("weight", {2, 3}).sizes(), at::IntArrayRef({2, 3}));
  EXPECT_EQ(w.scope("").take("steps", {4}).numel(), 4);
}

TEST(WeightsTest, MissingTensorIsBadInputNamingIt) {
  const Error error = error_of([] { Weights(two_blocks()).scope("blocks.1").take("bias", {2}); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("'blocks.1.bias' is missing"), std::string::npos);
}

TEST(WeightsTest, MisShapedTensorIsBadInputNamingBothShapes) {
  const Error error = error_of([] { Weights(two_blocks()).take("blocks.0.weight", {3, 2}); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("'blocks.0.weight'"), std::string::npos);
  EXPECT_NE(error.message().find("shape [2, 3], expected [3, 2]"), std::string::npos);
}

TEST(WeightsTest, ExpectAllTakenListsWhatNoModuleUsedUnderTheScope) {
  const Weights w(two_blocks());
  const Weights block0 = w.scope("blocks.0");
  block0.take("weight", {2, 3});
  EXPECT_NE(error_of([&] { block0.expect_all_taken(); }).message().find("blocks.0.bias"),
            std::string::npos);
  block0.take("bias", {2});
  block0.expect_all_taken();  // taken through the scope, recorded for all
  const Error error = error_of([&] { w.expect_all_taken(); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("2 tensors"), std::string::npos);
  EXPECT_NE(error.message().find("blocks.1.weight, steps"), std::string::npos);
  EXPECT_EQ(error.details()["count"], 2);
}

TEST(WeightsTest, ExpectAllTakenListsTwentyNamesAndTheCount) {
  std::map<std::string, at::Tensor> many;
  for (int i = 0; i < 25; ++i) {
    std::string name = "t";
    name += std::to_string(100 + i);
    many.emplace(name, at::zeros({1}));
  }
  const Error error = error_of([&] { Weights(many).expect_all_taken(); });
  EXPECT_NE(error.message().find("25 tensors"), std::string::npos);
  EXPECT_NE(error.message().find("t119, ..."), std::string::npos);
  EXPECT_EQ(error.message().find("t120"), std::string::npos);
  EXPECT_EQ(error.details()["untaken"].size(), 20u);
}

class WeightsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("orfeas_weights_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs a Python script that torch.save's into `file`; false when Python or torch is missing.
  bool torch_save(const std::string& body, const fs::path& file) {
    const fs::path script = dir_ / "save.py";
    std::ofstream(script) << "import collections, sys, torch\n" << body << "\n";
    const std::string command = std::string(ORFEAS_PYTHON) + " '" + script.string() + "' '" +
                                file.string() + "' > /dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  }

  fs::path dir_;
};

TEST_F(WeightsFileTest, LoadsSafetensors) {
  const fs::path file = dir_ / "m.safetensors";
  write_safetensors(file, {{"a.weight", at::full({2}, 3.0f)}, {"b", at::zeros({1}, at::kInt)}});
  const Weights w = Weights::load(file, at::TensorOptions().dtype(at::kDouble));
  EXPECT_EQ(w.take("a.weight", {2}).scalar_type(), at::kDouble);
  EXPECT_EQ(w.take("a.weight", {2})[0].item<double>(), 3.0);
  EXPECT_TRUE(w.has("b"));
}

TEST_F(WeightsFileTest, LoadsATorchSaveCheckpointFlatteningNestedDicts) {
  const fs::path file = dir_ / "model.ckpt";
  // A real checkpoint layout: state_dicts (OrderedDicts carrying _metadata) under part names.
  if (!torch_save("model = torch.nn.Linear(3, 2)\n"
                  "torch.nn.init.constant_(model.weight, 0.5)\n"
                  "torch.save({'model': model.state_dict(),\n"
                  "            'vae': {'scale': torch.tensor([2.0]).half(), 'n': {'k': "
                  "torch.arange(3)}}},\n"
                  "           sys.argv[1])",
                  file)) {
    GTEST_SKIP() << "python with torch is not available";
  }
  const Weights w = Weights::load(file);
  EXPECT_EQ(w.take("model.weight", {2, 3})[1][2].item<float>(), 0.5f);
  EXPECT_TRUE(w.has("model.bias"));
  EXPECT_EQ(w.scope("vae").take("scale", {1}).scalar_type(), at::kHalf);
  EXPECT_EQ(w.take("vae.n.k", {3})[2].item<int64_t>(), 2);
}

TEST_F(WeightsFileTest, RejectsUnknownExtensionsAndMissingFiles) {
  const fs::path file = dir_ / "model.bin";
  std::ofstream(file) << "x";
  EXPECT_EQ(error_of([&] { Weights::load(file); }).code(), ErrorCode::kBadInput);
  EXPECT_EQ(error_of([&] { Weights::load(dir_ / "none.ckpt"); }).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orfeas::neural
