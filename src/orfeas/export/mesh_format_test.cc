#include "orfeas/export/mesh_format.h"

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/core/test_errors.h"

namespace orfeas {
namespace {

using test::code_of;

constexpr MeshFormat kAll[] = {MeshFormat::kStl, MeshFormat::kObj, MeshFormat::kPly,
                               MeshFormat::kGlb, MeshFormat::k3mf};

TEST(MeshFormatTest, NamesParseBackToTheirFormat) {
  for (MeshFormat format : kAll) {
    EXPECT_EQ(parse_mesh_format(mesh_format_name(format)), format) << mesh_format_name(format);
  }
}

TEST(MeshFormatTest, NamesAndMimeTypes) {
  EXPECT_EQ(mesh_format_name(MeshFormat::kStl), "stl");
  EXPECT_EQ(mesh_format_name(MeshFormat::kObj), "obj");
  EXPECT_EQ(mesh_format_name(MeshFormat::kPly), "ply");
  EXPECT_EQ(mesh_format_name(MeshFormat::kGlb), "glb");
  EXPECT_EQ(mesh_format_name(MeshFormat::k3mf), "3mf");
  EXPECT_EQ(mesh_format_mime_type(MeshFormat::kStl), "model/stl");
  EXPECT_EQ(mesh_format_mime_type(MeshFormat::kObj), "model/obj");
  EXPECT_EQ(mesh_format_mime_type(MeshFormat::kPly), "application/x-ply");
  EXPECT_EQ(mesh_format_mime_type(MeshFormat::kGlb), "model/gltf-binary");
  EXPECT_EQ(mesh_format_mime_type(MeshFormat::k3mf), "model/3mf");
}

TEST(MeshFormatTest, ParsingIgnoresCase) {
  EXPECT_EQ(parse_mesh_format("STL"), MeshFormat::kStl);
  EXPECT_EQ(parse_mesh_format("Obj"), MeshFormat::kObj);
  EXPECT_EQ(parse_mesh_format("pLy"), MeshFormat::kPly);
  EXPECT_EQ(parse_mesh_format("GLB"), MeshFormat::kGlb);
  EXPECT_EQ(parse_mesh_format("3MF"), MeshFormat::k3mf);
}

TEST(MeshFormatTest, UnknownNamesAreBadInputNamingTheAcceptedOnes) {
  using std::string_view_literals::operator""sv;
  for (std::string_view name :
       {""sv, "st"sv, "stl "sv, " stl"sv, ".stl"sv, "gltf"sv, "fbx"sv, "stl\0"sv}) {
    EXPECT_EQ(code_of([&] { parse_mesh_format(name); }), ErrorCode::kBadInput) << name;
  }
  try {
    parse_mesh_format("fbx");
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("fbx"), std::string::npos);
    EXPECT_NE(e.message().find("stl, obj, ply, glb, 3mf"), std::string::npos);
  }
}

TEST(MeshFormatTest, FormatFromPathExtension) {
  EXPECT_EQ(mesh_format_from_path("cat.stl"), MeshFormat::kStl);
  EXPECT_EQ(mesh_format_from_path("out/cat.OBJ"), MeshFormat::kObj);
  EXPECT_EQ(mesh_format_from_path("/tmp/a.b/cat.ply"), MeshFormat::kPly);
  EXPECT_EQ(mesh_format_from_path("cat.model.Glb"), MeshFormat::kGlb);
  EXPECT_EQ(mesh_format_from_path("cat.3mf"), MeshFormat::k3mf);
}

TEST(MeshFormatTest, MissingOrUnknownExtensionsAreBadInput) {
  for (const char* path : {"cat", "cat.", "out.d/cat", ".stl", "cat.stl.gz", "cat.gltf", ""}) {
    EXPECT_EQ(code_of([&] { mesh_format_from_path(path); }), ErrorCode::kBadInput) << path;
  }
}

}  // namespace
}  // namespace orfeas
