#include "orfeas/neural/safetensors.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "orfeas/core/test_errors.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;
using test::error_of;

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("orfeas_safetensors_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A file of the 8-byte header length, the header and the data, exactly as given.
  fs::path raw_file(const std::string& header, const std::string& data = "",
                    std::optional<uint64_t> header_length = std::nullopt) {
    const fs::path file = dir_ / "raw.safetensors";
    std::ofstream out(file, std::ios::binary);
    const uint64_t length = header_length.value_or(header.size());
    out.write(reinterpret_cast<const char*>(&length), sizeof length);
    out << header << data;
    return file;
  }

  // The Error reading `header` (and `data`) gives; must name the file and be bad_input.
  std::string malformed(const std::string& header, const std::string& data = "") {
    const fs::path file = raw_file(header, data);
    const Error error = error_of([&] { read_safetensors(file); });
    EXPECT_EQ(error.code(), ErrorCode::kBadInput) << header;
    EXPECT_NE(error.message().find(file.string()), std::string::npos) << error.message();
    return error.message();
  }

  fs::path dir_;
};

TEST_F(SafetensorsTest, RoundTripsEveryDtype) {
  const at::Tensor base = at::arange(-3, 3, at::kDouble).reshape({2, 3});
  const TensorList written = {
      {"f32", base.to(at::kFloat) / 3},
      {"f16", base.to(at::kHalf) / 4},
      {"bf16", base.to(at::kBFloat16) / 8},
      {"f64", base / 7},
      {"i64", base.to(at::kLong) * 1'000'000'000'000},
      {"i32", base.to(at::kInt) * 100'000},
      {"i16", base.to(at::kShort) * 1000},
      {"i8", base.to(at::kChar)},
      {"u8", (base + 200).to(at::kByte)},
      {"bool", base > 0},
      {"scalar", at::scalar_tensor(2.5, at::kFloat)},
      {"empty", at::empty({0, 4}, at::kFloat)},
  };
  const fs::path file = dir_ / "all.safetensors";
  write_safetensors(file, written);
  const TensorList read = read_safetensors(file);
  ASSERT_EQ(read.size(), written.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].first, written[i].first);
    EXPECT_EQ(read[i].second.scalar_type(), written[i].second.scalar_type()) << read[i].first;
    EXPECT_EQ(read[i].second.sizes(), written[i].second.sizes()) << read[i].first;
    EXPECT_TRUE(at::equal(read[i].second, written[i].second)) << read[i].first;
  }
}

TEST_F(SafetensorsTest, ReadsTheLayoutOfTheFormat) {
  float values[] = {1.5f, -2.0f};
  std::string data(reinterpret_cast<const char*>(values), sizeof values);
  data += std::string("\x07\x09", 2);
  const fs::path file = raw_file(
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"U8","shape":[2],"data_offsets":[8,10]},)"
      R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}   )",
      data);
  const TensorList read = read_safetensors(file);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].first, "a");  // file order: by data offset
  EXPECT_EQ(read[0].second.sizes(), at::IntArrayRef({1, 2}));
  EXPECT_EQ(read[0].second[0][1].item<float>(), -2.0f);
  EXPECT_EQ(read[1].first, "b");
  EXPECT_EQ(read[1].second[1].item<uint8_t>(), 9);
}

TEST_F(SafetensorsTest, CopiesTensorsWhoseBytesAreMisaligned) {
  float values[] = {3.25f, 4.5f};
  const std::string data =
      std::string("\x01", 1) + std::string(reinterpret_cast<const char*>(values), 8);
  const fs::path file = raw_file(R"({"u":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                 R"("f":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}})",
                                 data);
  const TensorList read = read_safetensors(file);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(read[1].second.data_ptr()) % alignof(float), 0u);
  EXPECT_EQ(read[1].second[1].item<float>(), 4.5f);
}

TEST_F(SafetensorsTest, TensorsOutliveTheListAndNeverWriteTheFile) {
  const fs::path file = dir_ / "t.safetensors";
  write_safetensors(file, {{"x", at::full({4}, 2.0f)}});
  at::Tensor kept = read_safetensors(file)[0].second;
  kept.fill_(7.0f);
  EXPECT_EQ(kept[3].item<float>(), 7.0f);
  EXPECT_EQ(read_safetensors(file)[0].second[3].item<float>(), 2.0f);
}

TEST_F(SafetensorsTest, WritesNonContiguousTensorsByValue) {
  const at::Tensor t = at::arange(6, at::kFloat).reshape({2, 3}).t();
  const fs::path file = dir_ / "t.safetensors";
  write_safetensors(file, {{"t", t}});
  EXPECT_TRUE(at::equal(read_safetensors(file)[0].second, t));
  EXPECT_FALSE(fs::exists(file.string() + ".tmp" + std::to_string(getpid())));
}

TEST_F(SafetensorsTest, RefusesToWriteWhatTheFormatCannotHold) {
  const fs::path file = dir_ / "t.safetensors";
  const at::Tensor t = at::zeros({1});
  EXPECT_EQ(error_of([&] {
              write_safetensors(file, {{"a", t}, {"a", t}});
            }).code(),
            ErrorCode::kBadInput);
  EXPECT_EQ(error_of([&] {
              write_safetensors(file, {{"__metadata__", t}});
            }).code(),
            ErrorCode::kBadInput);
  EXPECT_EQ(error_of([&] {
              write_safetensors(file, {{"c", at::zeros({1}, at::kComplexFloat)}});
            }).code(),
            ErrorCode::kBadInput);
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(SafetensorsTest, MissingFileIsNotFound) {
  EXPECT_EQ(error_of([&] { read_safetensors(dir_ / "none.safetensors"); }).code(),
            ErrorCode::kNotFound);
}

TEST_F(SafetensorsTest, RejectsAFileTooShortForAHeader) {
  const fs::path file = dir_ / "short.safetensors";
  std::ofstream(file) << "abc";
  EXPECT_EQ(error_of([&] { read_safetensors(file); }).code(), ErrorCode::kBadInput);
}

TEST_F(SafetensorsTest, RejectsAHeaderLengthBeyondTheFile) {
  const fs::path file = raw_file("{}", "", 1'000);
  EXPECT_NE(error_of([&] { read_safetensors(file); }).message().find("header length"),
            std::string::npos);
  const fs::path huge = raw_file("{}", "", UINT64_MAX);
  EXPECT_EQ(error_of([&] { read_safetensors(huge); }).code(), ErrorCode::kBadInput);
}

TEST_F(SafetensorsTest, RejectsMalformedHeaders) {
  const std::string f32 = std::string(8, '\0');
  EXPECT_NE(malformed("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(malformed("[1, 2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(malformed(R"({"a": 3})").find("'a' is not an object"), std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":"F32","shape":[2]}})", f32).find("lacks"),
            std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", f32)
                .find("unknown field 'x'"),
            std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", f32)
                .find("non-string dtype"),
            std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", f32)
                .find("unsupported dtype 'C64'"),
            std::string::npos);
  EXPECT_NE(
      malformed(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", f32).find("not a list"),
      std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", f32)
                .find("non-negative"),
            std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", f32)
                .find("non-negative integer"),
            std::string::npos);
  EXPECT_NE(
      malformed(R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                f32)
          .find("too large"),
      std::string::npos);
  EXPECT_NE(
      malformed(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", f32).find("not a pair"),
      std::string::npos);
  EXPECT_NE(
      malformed(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", f32).find("outside"),
      std::string::npos);
  EXPECT_NE(
      malformed(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", f32).find("outside"),
      std::string::npos);
  EXPECT_NE(
      malformed(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f32).find("need 12"),
      std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                      f32)
                .find("overlaps"),
            std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f32)
                .find("bytes 0..4 belong to no tensor"),
            std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", f32)
                .find("bytes 4..8 belong to no tensor"),
            std::string::npos);
  EXPECT_NE(malformed(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                      R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                      f32)
                .find("'a' appears twice"),
            std::string::npos);
  EXPECT_NE(malformed(R"({"__metadata__":[1]})").find("__metadata__"), std::string::npos);
  EXPECT_NE(malformed(R"({"__metadata__":{"k":1}})").find("'k' is not a string"),
            std::string::npos);
  EXPECT_NE(malformed(R"({"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})",
                      std::string("\x01\x02", 2))
                .find("other than 0 or 1"),
            std::string::npos);
}

}  // namespace
}  // namespace orfeas::neural
