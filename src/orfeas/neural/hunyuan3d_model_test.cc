#include "orfeas/neural/hunyuan3d_model.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"
#include "orfeas/neural/config.h"
#include "orfeas/neural/hunyuan3d_test_model.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;

class Hunyuan3dModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "hunyuan3d_model_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  // The tiny model's directory with `tensors` (the whole checkpoint by default).
  fs::path model_directory(const std::map<std::string, at::Tensor>& tensors,
                           const char* config = testing::kTinyConfigYaml) {
    const fs::path directory = root_ / ("model" + std::to_string(++directories_));
    testing::write_model_directory(directory, tensors, config);
    return directory;
  }

  // The message of the error loading `directory` throws, which must be bad_input.
  static std::string load_error(const fs::path& directory, const fs::path& vae = {}) {
    const Error error =
        orfeas::test::error_of([&] { Hunyuan3dModel::load(directory, at::TensorOptions(), vae); });
    EXPECT_EQ(error.code(), ErrorCode::kBadInput) << error.message();
    return error.message();
  }

  fs::path root_;
  int directories_ = 0;
};

TEST(Hunyuan3dConfig, ReadsTheReleasedConfigs) {
  const fs::path data = fs::path(ORFEAS_TEST_DATA) / "neural";
  const Hunyuan3dConfig v2 =
      Hunyuan3dConfig::from_json(read_yaml_config(data / "hunyuan3d-dit-v2-0.yaml"));
  EXPECT_EQ(v2.dit.hidden_size, 1024);
  EXPECT_EQ(v2.dit.depth_single_blocks, 32);
  EXPECT_FALSE(v2.dit.guidance_embed);
  EXPECT_EQ(v2.vae.num_latents, 3072);
  EXPECT_EQ(v2.conditioner.hidden_size, 1536);
  EXPECT_EQ(v2.conditioner.output_tokens(), 1370);
  EXPECT_EQ(v2.scheduler.kind, FlowSchedulerKind::kFlowMatchEulerDiscrete);
  EXPECT_EQ(v2.image_processor.size, 512);

  const Hunyuan3dConfig turbo =
      Hunyuan3dConfig::from_json(read_yaml_config(data / "hunyuan3d-dit-v2-0-turbo.yaml"));
  EXPECT_TRUE(turbo.dit.guidance_embed);
  EXPECT_EQ(turbo.scheduler.kind, FlowSchedulerKind::kConsistencyFlowMatchEulerDiscrete);
  EXPECT_EQ(turbo.scheduler.pcm_timesteps, 100);
}

TEST(Hunyuan3dConfig, NamesTheSectionItCannotRun) {
  nlohmann::json config = parse_yaml_config(testing::kTinyConfigYaml, "tiny");
  nlohmann::json mini = config;
  mini["model"]["target"] = "hy3dgen.shapegen.models.denoisers.hunyuandit.HunYuanDiTPlain";
  Error error = orfeas::test::error_of([&] { Hunyuan3dConfig::from_json(mini); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("HunYuanDiTPlain"), std::string::npos) << error.message();

  nlohmann::json missing = config;
  missing.erase("vae");
  error = orfeas::test::error_of([&] { Hunyuan3dConfig::from_json(missing); });
  EXPECT_NE(error.message().find("'vae'"), std::string::npos) << error.message();

  nlohmann::json misfit = config;
  misfit["model"]["params"]["in_channels"] = 16;
  error = orfeas::test::error_of([&] { Hunyuan3dConfig::from_json(misfit); });
  EXPECT_NE(error.message().find("embed_dim"), std::string::npos) << error.message();

  nlohmann::json bad_params = config;
  bad_params["vae"]["params"]["heads"] = "four";
  error = orfeas::test::error_of([&] { Hunyuan3dConfig::from_json(bad_params); });
  EXPECT_NE(error.message().find("section 'vae'"), std::string::npos) << error.message();
}

TEST_F(Hunyuan3dModelTest, LoadsTheReleasedLayoutTakingEveryTensor) {
  const fs::path directory = model_directory(testing::tiny_checkpoint());
  const Hunyuan3dModel model = Hunyuan3dModel::load(directory, at::TensorOptions());
  EXPECT_EQ(model.config.vae.num_latents, 16);
  EXPECT_EQ(model.config.image_processor.size, 32);
  // The file's dtype is kept: the tensors view the mapped file.
  EXPECT_EQ(model.dit.latent_in.weight.scalar_type(), at::kHalf);

  const Hunyuan3dModel in_float =
      Hunyuan3dModel::load(directory, at::TensorOptions().dtype(at::kFloat));
  EXPECT_EQ(in_float.conditioner.cls_token.scalar_type(), at::kFloat);
}

TEST_F(Hunyuan3dModelTest, NamesAMissingAnUnexpectedAndAMisshapedTensor) {
  std::map<std::string, at::Tensor> tensors = testing::tiny_checkpoint();
  tensors.erase("vae.post_kl.weight");
  EXPECT_NE(load_error(model_directory(tensors)).find("vae.post_kl.weight"), std::string::npos);

  tensors = testing::tiny_checkpoint();
  tensors["model.double_blocks.7.img_mod.lin.weight"] = at::zeros({2, 2});
  EXPECT_NE(load_error(model_directory(tensors)).find("model.double_blocks.7.img_mod.lin.weight"),
            std::string::npos);

  tensors = testing::tiny_checkpoint();
  tensors["conditioner.main_image_encoder.model.layernorm.bias"] = at::zeros({31});
  EXPECT_NE(load_error(model_directory(tensors))
                .find("conditioner.main_image_encoder.model.layernorm.bias"),
            std::string::npos);

  tensors = testing::tiny_checkpoint();
  tensors["clip.weight"] = at::zeros({2});
  EXPECT_NE(load_error(model_directory(tensors)).find("clip.weight"), std::string::npos);
}

TEST_F(Hunyuan3dModelTest, NamesTheFileOfTheProblem) {
  const fs::path directory = model_directory(testing::tiny_checkpoint());
  std::ofstream(directory / kModelWeightsFile) << "not a safetensors file";
  EXPECT_NE(load_error(directory).find(kModelWeightsFile), std::string::npos);
  std::ofstream(directory / kModelConfigFile) << "model: [unclosed\n";
  EXPECT_NE(load_error(directory).find(kModelConfigFile), std::string::npos);

  EXPECT_EQ(
      orfeas::test::code_of([&] { Hunyuan3dModel::load(root_ / "absent", at::TensorOptions()); }),
      ErrorCode::kNotFound);
  fs::remove(directory / kModelWeightsFile);
  EXPECT_EQ(orfeas::test::code_of([&] { Hunyuan3dModel::load(directory, at::TensorOptions()); }),
            ErrorCode::kNotFound);
}

TEST_F(Hunyuan3dModelTest, ReplacesTheBundledVaeByAVaeDirectory) {
  const std::map<std::string, at::Tensor> checkpoint = testing::tiny_checkpoint(1);
  const fs::path directory = model_directory(checkpoint);
  // A VAE directory holds the VAE's tensors without the "vae." prefix.
  std::map<std::string, at::Tensor> vae_tensors;
  for (const auto& [name, tensor] : testing::tiny_checkpoint(7)) {
    if (name.rfind("vae.", 0) == 0) vae_tensors[name.substr(4)] = tensor;
  }
  const fs::path vae_directory = model_directory(vae_tensors, testing::kTinyVaeConfigYaml);

  const at::TensorOptions in_float = at::TensorOptions().dtype(at::kFloat);
  const Hunyuan3dModel bundled = Hunyuan3dModel::load(directory, in_float);
  const Hunyuan3dModel replaced = Hunyuan3dModel::load(directory, in_float, vae_directory);
  const at::Tensor latents = at::randn({1, 16, 8});
  EXPECT_FALSE(at::allclose(bundled.vae.decode(latents), replaced.vae.decode(latents)));
  EXPECT_TRUE(at::equal(replaced.dit.latent_in.weight, bundled.dit.latent_in.weight));

  // The VAE directory is as strict as the DiT's.
  vae_tensors["extra"] = at::zeros({1});
  const fs::path strict = model_directory(vae_tensors, testing::kTinyVaeConfigYaml);
  EXPECT_NE(load_error(directory, strict).find("extra"), std::string::npos);
}

}  // namespace
}  // namespace orfeas::neural
