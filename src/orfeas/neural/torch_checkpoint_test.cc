#include "orfeas/neural/torch_checkpoint.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "orfeas/core/test_errors.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;
using test::error_of;

class TorchCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("orfeas_checkpoint_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
    file_ = dir_ / "model.ckpt";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs Python `body` with `path` bound to file_; skips the test without Python and torch.
  void torch_save(const std::string& body) {
    const fs::path script = dir_ / "save.py";
    std::ofstream(script) << "import sys, torch\npath = sys.argv[1]\n" << body << "\n";
    const std::string command = std::string(ORFEAS_PYTHON) + " '" + script.string() + "' '" +
                                file_.string() + "' > /dev/null 2>&1";
    if (std::system(command.c_str()) != 0) GTEST_SKIP() << "python with torch is not available";
  }

  fs::path dir_, file_;
};

TEST_F(TorchCheckpointTest, ReadsNestedStateDicts) {
  torch_save(
      "torch.manual_seed(0)\n"
      "model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))\n"
      "torch.save({'model': model.state_dict(), 'vae': {'inner': model[0].state_dict()}}, path)\n"
      "torch.save(model[0].weight.detach(), path + '.expected')");
  const auto tensors = read_torch_checkpoint(file_);
  EXPECT_EQ(tensors.size(), 6u);
  for (const char* name : {"model.0.weight", "model.0.bias", "model.1.weight", "model.1.bias",
                           "vae.inner.weight", "vae.inner.bias"}) {
    EXPECT_TRUE(tensors.count(name)) << name;
  }
  EXPECT_EQ(tensors.at("model.0.weight").sizes(), at::IntArrayRef({2, 3}));
  EXPECT_TRUE(at::equal(tensors.at("model.0.weight"), tensors.at("vae.inner.weight")));
  EXPECT_TRUE(at::equal(tensors.at("model.1.weight"), at::ones({2})));
}

TEST_F(TorchCheckpointTest, ReadsEveryDtypeViewsAndParameters) {
  torch_save(
      "base = torch.arange(12, dtype=torch.float32).reshape(3, 4)\n"
      "torch.save({'f16': base.half(), 'bf16': base.bfloat16(), 'f64': base.double(),\n"
      "            'i64': base.long(), 'i32': base.int(), 'i8': base.to(torch.int8),\n"
      "            'u8': base.to(torch.uint8), 'bool': base > 5, 'scalar': torch.tensor(2.5),\n"
      "            'empty': torch.zeros(0, 3), 'base': base, 'column': base[:, 1],\n"
      "            'transposed': base.t(), 'param': torch.nn.Parameter(base[1:])}, path)");
  const auto t = read_torch_checkpoint(file_);
  const at::Tensor base = at::arange(12, at::kFloat).reshape({3, 4});
  EXPECT_EQ(t.at("f16").scalar_type(), at::kHalf);
  EXPECT_EQ(t.at("bf16").scalar_type(), at::kBFloat16);
  EXPECT_EQ(t.at("f64").scalar_type(), at::kDouble);
  EXPECT_EQ(t.at("i64").scalar_type(), at::kLong);
  EXPECT_EQ(t.at("i32").scalar_type(), at::kInt);
  EXPECT_EQ(t.at("i8").scalar_type(), at::kChar);
  EXPECT_EQ(t.at("u8").scalar_type(), at::kByte);
  EXPECT_EQ(t.at("bool").scalar_type(), at::kBool);
  for (const char* name : {"f16", "bf16", "f64", "i64", "i32", "i8", "u8"}) {
    EXPECT_TRUE(at::equal(t.at(name).to(at::kFloat), base)) << name;
  }
  EXPECT_TRUE(at::equal(t.at("bool"), base > 5));
  EXPECT_EQ(t.at("scalar").dim(), 0);
  EXPECT_EQ(t.at("scalar").item<float>(), 2.5f);
  EXPECT_EQ(t.at("empty").sizes(), at::IntArrayRef({0, 3}));
  EXPECT_TRUE(at::equal(t.at("column"), base.select(1, 1)));
  EXPECT_TRUE(at::equal(t.at("transposed"), base.t()));
  EXPECT_TRUE(at::equal(t.at("param"), base.slice(0, 1)));
}

TEST_F(TorchCheckpointTest, ReadsPickleProtocolFour) {
  torch_save(
      "torch.save({'model': torch.nn.Linear(2, 2).state_dict(), 'x': torch.ones(2)}, path,\n"
      "           pickle_protocol=4)");
  const auto tensors = read_torch_checkpoint(file_);
  EXPECT_EQ(tensors.size(), 3u);
  EXPECT_TRUE(at::equal(tensors.at("x"), at::ones({2})));
}

TEST_F(TorchCheckpointTest, RejectsEntriesOtherThanTensorsNamingThem) {
  torch_save("torch.save({'model': {'w': torch.zeros(1)}, 'epoch': 3}, path)");
  const Error error = error_of([&] { read_torch_checkpoint(file_); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("int at 'epoch'"), std::string::npos) << error.message();
}

TEST_F(TorchCheckpointTest, RejectsObjectsWithoutRunningThem) {
  torch_save("import collections\ntorch.save({'cfg': collections.Counter('ab')}, path)");
  const Error error = error_of([&] { read_torch_checkpoint(file_); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("collections.Counter at 'cfg'"), std::string::npos)
      << error.message();
}

TEST_F(TorchCheckpointTest, RejectsATopLevelThatIsNoDict) {
  torch_save("torch.save(torch.zeros(2), path)");
  EXPECT_NE(error_of([&] { read_torch_checkpoint(file_); }).message().find("at the top"),
            std::string::npos);
}

TEST_F(TorchCheckpointTest, RejectsFilesThatAreNoArchive) {
  std::ofstream(file_) << "not a zip archive at all";
  const Error error = error_of([&] { read_torch_checkpoint(file_); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find(file_.string()), std::string::npos);
  EXPECT_EQ(error_of([&] { read_torch_checkpoint(dir_ / "none.ckpt"); }).code(),
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orfeas::neural
