#include "orfeas/neural/config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "orfeas/core/test_errors.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;
using test::error_of;

const fs::path kConfigs = fs::path(ORFEAS_TEST_DATA) / "neural";

nlohmann::json parse(const std::string& text) { return parse_yaml_config(text, "test.yaml"); }

// The message of the error parsing `text` gives; must be bad_input naming the line.
std::string rejected(const std::string& text, int line) {
  const Error error = error_of([&] { parse(text); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput) << text;
  EXPECT_NE(error.message().find("test.yaml line " + std::to_string(line) + ":"), std::string::npos)
      << error.message();
  EXPECT_EQ(error.details()["line"], line);
  return error.message();
}

TEST(ConfigTest, ReadsTheOfficialDitConfig) {
  const nlohmann::json config = read_yaml_config(kConfigs / "hunyuan3d-dit-v2-0.yaml");
  const nlohmann::json& dit = config["model"]["params"];
  EXPECT_EQ(config["model"]["target"], "hy3dgen.shapegen.models.Hunyuan3DDiT");
  EXPECT_EQ(dit["depth_single_blocks"], 32);
  EXPECT_TRUE(dit["depth_single_blocks"].is_number_integer());
  EXPECT_EQ(dit["mlp_ratio"], 4.0);
  EXPECT_TRUE(dit["mlp_ratio"].is_number_float());
  EXPECT_EQ(dit["axes_dim"], nlohmann::json::array({64}));
  EXPECT_EQ(dit["qkv_bias"], true);
  EXPECT_FALSE(dit.contains("guidance_embed"));
  EXPECT_EQ(config["vae"]["params"]["scale_factor"], 0.9990943042622529);
  EXPECT_EQ(config["vae"]["params"]["include_pi"], false);
  const nlohmann::json& dino = config["conditioner"]["params"]["main_image_encoder"];
  EXPECT_EQ(dino["type"], "DinoImageEncoder");  // the comment after it is dropped
  EXPECT_EQ(dino["kwargs"]["config"]["layer_norm_eps"], 1e-6);
  EXPECT_EQ(dino["kwargs"]["config"]["hidden_act"], "gelu");
  EXPECT_EQ(dino["kwargs"]["image_size"], 518);
  EXPECT_EQ(config["image_processor"]["params"]["border_ratio"], 0.15);
  EXPECT_EQ(config["pipeline"].size(), 1u);

  const nlohmann::json turbo = read_yaml_config(kConfigs / "hunyuan3d-dit-v2-0-turbo.yaml");
  EXPECT_EQ(turbo["model"]["params"]["guidance_embed"], true);
  EXPECT_EQ(turbo["scheduler"]["params"]["pcm_timesteps"], 100);
}

// PyYAML (what hy3dgen reads the files with) must see the same values in the shipped configs.
TEST(ConfigTest, AgreesWithPyYamlOnTheOfficialConfigs) {
  for (const char* name : {"hunyuan3d-dit-v2-0.yaml", "hunyuan3d-dit-v2-0-turbo.yaml"}) {
    const fs::path out = fs::temp_directory_path() / (std::string("orfeas_yaml_") + name + ".json");
    const std::string command =
        std::string(ORFEAS_PYTHON) +
        " -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), "
        "open(sys.argv[2], \"w\"))' '" +
        (kConfigs / name).string() + "' '" + out.string() + "' 2>/dev/null";
    if (std::system(command.c_str()) != 0) GTEST_SKIP() << "python with PyYAML is not available";
    std::ifstream in(out);
    EXPECT_EQ(read_yaml_config(kConfigs / name), nlohmann::json::parse(in)) << name;
    fs::remove(out);
  }
}

TEST(ConfigTest, ResolvesScalars) {
  const nlohmann::json c = parse(
      "i: 42\nn: -7\nf: 1e-6\ng: 1.e-6\nh: .5\nk: +3.0\nt: True\nu: true\nv: FALSE\n"
      "z: null\ny: ~\ne:\ns: hello world\nq: 'it''s: #1'\nd: \"a\\tb\"\nv2: 0.9990943042622529\n"
      "inf: .inf\nstr: 1.2.3\nzero: 0\nlead: 012\nurl: http://x.org/#frag\n");
  EXPECT_EQ(c["i"], 42);
  EXPECT_EQ(c["n"], -7);
  EXPECT_EQ(c["f"], 1e-6);
  EXPECT_EQ(c["g"], 1e-6);
  EXPECT_EQ(c["h"], 0.5);
  EXPECT_EQ(c["k"], 3.0);
  EXPECT_EQ(c["t"], true);
  EXPECT_EQ(c["u"], true);
  EXPECT_EQ(c["v"], false);
  EXPECT_TRUE(c["z"].is_null());
  EXPECT_TRUE(c["y"].is_null());
  EXPECT_TRUE(c["e"].is_null());
  EXPECT_EQ(c["s"], "hello world");
  EXPECT_EQ(c["q"], "it's: #1");
  EXPECT_EQ(c["d"], "a\tb");
  EXPECT_EQ(c["v2"], 0.9990943042622529);
  EXPECT_TRUE(std::isinf(c["inf"].get<double>()));
  EXPECT_EQ(c["str"], "1.2.3");
  EXPECT_EQ(c["zero"], 0);
  EXPECT_EQ(c["lead"], "012");
  EXPECT_EQ(c["url"], "http://x.org/#frag");
}

TEST(ConfigTest, ReadsListsBlockAndFlow) {
  const nlohmann::json c = parse(
      "# a comment line\n"
      "flow: [ 64, 1.5, 'a, b', x ]\n"
      "nested: [[1, 2], []]\n"
      "block:\n"
      "  - 1\n"
      "  - two   # comment\n"
      "indentless:\n"
      "- a\n"
      "- b\n"
      "maps:\n"
      "  - name: x\n"
      "    size: 2\n"
      "  - name: y\n"
      "  -\n"
      "    name: z\n"
      "  - - 5\n"
      "    - 6\n"
      "after: 1\n");
  EXPECT_EQ(c["flow"], nlohmann::json::parse(R"([64, 1.5, "a, b", "x"])"));
  EXPECT_EQ(c["nested"], nlohmann::json::parse("[[1, 2], []]"));
  EXPECT_EQ(c["block"], nlohmann::json::parse(R"([1, "two"])"));
  EXPECT_EQ(c["indentless"], nlohmann::json::parse(R"(["a", "b"])"));
  EXPECT_EQ(c["maps"], nlohmann::json::parse(
                           R"([{"name": "x", "size": 2}, {"name": "y"}, {"name": "z"}, [5, 6]])"));
  EXPECT_EQ(c["after"], 1);
}

TEST(ConfigTest, ReadsScalarAnchorsAndAliases) {
  const nlohmann::json c = parse("model:\n  n: &latents 4096\nvae:\n  n: *latents\n");
  EXPECT_EQ(c["vae"]["n"], 4096);
}

TEST(ConfigTest, EmptyDocumentIsNull) { EXPECT_TRUE(parse("# nothing\n\n").is_null()); }

TEST(ConfigTest, RejectsUnsupportedSyntaxNamingTheLine) {
  EXPECT_NE(rejected("a: 1\nb: {x: 1}\n", 2).find("flow maps"), std::string::npos);
  EXPECT_NE(rejected("a: |\n  text\n", 1).find("block scalars"), std::string::npos);
  EXPECT_NE(rejected("a: !!str 1\n", 1).find("tags"), std::string::npos);
  EXPECT_NE(rejected("a: &x\n  b: 1\n", 1).find("anchor"), std::string::npos);
  EXPECT_NE(rejected("a: *nope\n", 1).find("unknown alias"), std::string::npos);
  EXPECT_NE(rejected("---\na: 1\n", 1).find("document"), std::string::npos);
  EXPECT_NE(rejected("a:\n\tb: 1\n", 2).find("tab"), std::string::npos);
  EXPECT_NE(rejected("a: 1\na: 2\n", 2).find("duplicate key 'a'"), std::string::npos);
  EXPECT_NE(rejected("a: 'open\n", 1).find("unterminated"), std::string::npos);
  EXPECT_NE(rejected("a: [1, 2\n", 1).find("unterminated flow list"), std::string::npos);
  EXPECT_NE(rejected("a: [1 2] x\n", 1).find("flow list"), std::string::npos);
  EXPECT_NE(rejected("a: \"\\q\"\n", 1).find("escape"), std::string::npos);
  EXPECT_NE(rejected("just text\n", 1).find("expected 'key: value'"), std::string::npos);
  EXPECT_NE(rejected("a: 1\n  b: 2\n", 2).find("indentation"), std::string::npos);
  EXPECT_NE(rejected("a:\n    b: 1\n  c: 2\n", 3).find("indentation"), std::string::npos);
  EXPECT_NE(rejected("a:\n  b: 1\n  - 2\n", 3).find("list item among map entries"),
            std::string::npos);
  EXPECT_NE(rejected("  a: 1\n", 1).find("column 1"), std::string::npos);
  EXPECT_NE(rejected("a: multi\n  line\n", 2).find("indentation"), std::string::npos);
}

TEST(ConfigTest, MissingFileIsNotFound) {
  EXPECT_EQ(error_of([] { read_yaml_config(kConfigs / "none.yaml"); }).code(),
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orfeas::neural
