#include "orfeas/export/mesh_writer.h"

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"
#include "orfeas/core/test_errors.h"

namespace orfeas {
namespace {

using test::code_of;

namespace fs = std::filesystem;

// A closed box from (-1.5, 2.25, 3) to (11, 7.125, 5.5), wound counter-clockwise from outside.
// Its asymmetric bounds make swapped axes or dropped signs visible; its volume is 152.34375.
Mesh box() {
  constexpr Vec3 kMin{-1.5f, 2.25f, 3}, kMax{11, 7.125f, 5.5f};
  Mesh mesh;
  for (int i = 0; i < 8; ++i) {  // vertex i has x from bit 0, y from bit 1, z from bit 2
    mesh.vertices.push_back(
        {i & 1 ? kMax.x : kMin.x, i & 2 ? kMax.y : kMin.y, i & 4 ? kMax.z : kMin.z});
  }
  mesh.triangles = {{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 5}, {0, 5, 4},
                    {2, 6, 7}, {2, 7, 3}, {0, 4, 6}, {0, 6, 2}, {1, 3, 7}, {1, 7, 5}};
  return mesh;
}
constexpr double kBoxVolume = 12.5 * 4.875 * 2.5;

template <typename T>
T load(const std::string& bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// What trimesh, an independent reader, makes of a mesh file.
constexpr const char* kTrimeshReport = R"(
import json, sys, trimesh
mesh = trimesh.load(sys.argv[1], file_type=sys.argv[2], force="mesh")
print(json.dumps({
    "faces": len(mesh.faces),
    "bounds": mesh.bounds.tolist(),
    "volume": float(mesh.volume),
    "watertight": bool(mesh.is_watertight),
    "units": mesh.units,
}))
)";

class MeshWriterTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "mesh_writer_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  nlohmann::json trimesh_report(const std::string& bytes, MeshFormat format) {
    const std::string kind(mesh_format_name(format));
    const fs::path mesh_path = dir_ / ("mesh." + kind);
    const fs::path script_path = dir_ / "report.py";
    std::ofstream(mesh_path, std::ios::binary) << bytes;
    std::ofstream(script_path) << kTrimeshReport;
    const std::string command = std::string(ORFEAS_PYTHON) + " '" + script_path.string() + "' '" +
                                mesh_path.string() + "' " + kind;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return nullptr;
    std::string output;
    char chunk[4096];
    while (std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) output.append(chunk, n);
    const int status = pclose(pipe);
    EXPECT_EQ(status, 0) << command << "\n" << output;
    return nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  }

  fs::path dir_;
};

class EveryFormatTest : public MeshWriterTest, public testing::WithParamInterface<MeshFormat> {};

TEST_P(EveryFormatTest, TrimeshReadsTheBoxBack) {
  const nlohmann::json report = trimesh_report(encode_mesh(box(), GetParam()), GetParam());
  ASSERT_TRUE(report.is_object()) << report;
  EXPECT_EQ(report["faces"], 12);
  const std::vector<std::vector<double>> bounds = report["bounds"];
  EXPECT_EQ(bounds, (std::vector<std::vector<double>>{{-1.5, 2.25, 3}, {11, 7.125, 5.5}}));
  EXPECT_TRUE(report["watertight"]);
  // A positive volume means the winding still faces outward.
  EXPECT_NEAR(report["volume"].get<double>(), kBoxVolume, 1e-9);
  if (GetParam() == MeshFormat::k3mf) {
    EXPECT_EQ(report["units"], "millimeter");
  }
}

TEST_P(EveryFormatTest, UnexportableMeshesAreInternalErrors) {
  const MeshFormat format = GetParam();
  EXPECT_EQ(code_of([&] { encode_mesh(Mesh{}, format); }), ErrorCode::kInternal);
  Mesh bad_index = box();
  bad_index.triangles[5][1] = 8;
  EXPECT_EQ(code_of([&] { encode_mesh(bad_index, format); }), ErrorCode::kInternal);
  Mesh not_finite = box();
  not_finite.vertices[3].y = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(code_of([&] { encode_mesh(not_finite, format); }), ErrorCode::kInternal);
}

INSTANTIATE_TEST_SUITE_P(MeshWriter, EveryFormatTest,
                         testing::Values(MeshFormat::kStl, MeshFormat::kObj, MeshFormat::kPly,
                                         MeshFormat::kGlb, MeshFormat::k3mf),
                         [](const testing::TestParamInfo<MeshFormat>& info) {
                           return std::string(mesh_format_name(info.param));
                         });

TEST_F(MeshWriterTest, StlHasOutwardUnitNormals) {
  const Mesh mesh = box();
  const std::string stl = encode_stl(mesh);
  ASSERT_EQ(stl.size(), 84u + 50u * 12u);
  EXPECT_NE(stl.substr(0, 5), "solid");  // would make readers take it for ASCII STL
  EXPECT_EQ(load<std::uint32_t>(stl, 80), 12u);
  const Vec3 center = (Vec3{-1.5f, 2.25f, 3} + Vec3{11, 7.125f, 5.5f}) * 0.5f;
  for (std::size_t i = 0; i < 12; ++i) {
    const std::size_t facet = 84 + 50 * i;
    const Vec3 normal = load<Vec3>(stl, facet);
    const Vec3 a = load<Vec3>(stl, facet + 12), b = load<Vec3>(stl, facet + 24),
               c = load<Vec3>(stl, facet + 36);
    EXPECT_EQ(a, mesh.vertices[mesh.triangles[i][0]]);
    EXPECT_EQ(c, mesh.vertices[mesh.triangles[i][2]]);
    EXPECT_FLOAT_EQ(length(normal), 1) << "facet " << i;
    EXPECT_GT(dot(normal, (a + b + c) * (1.0f / 3) - center), 0) << "facet " << i;
    EXPECT_EQ(load<std::uint16_t>(stl, facet + 48), 0);
  }
}

TEST_F(MeshWriterTest, StlGivesDegenerateTrianglesAZeroNormal) {
  Mesh mesh;
  mesh.vertices = {{0, 0, 0}, {1, 1, 1}, {2, 2, 2}};
  mesh.triangles = {{0, 1, 2}};
  EXPECT_EQ(load<Vec3>(encode_stl(mesh), 84), (Vec3{0, 0, 0}));
}

TEST_F(MeshWriterTest, ObjListsVerticesThenOneBasedFaces) {
  Mesh mesh;
  mesh.vertices = {{0, 0, 0}, {1.5f, -0.1f, 0}, {0, 2, 3e10f}};
  mesh.triangles = {{0, 1, 2}, {2, 1, 0}};
  EXPECT_EQ(encode_obj(mesh),
            "# Orfeas\n"
            "v 0 0 0\n"
            "v 1.5 -0.1 0\n"
            "v 0 2 3e+10\n"
            "f 1 2 3\n"
            "f 3 2 1\n");
}

TEST_F(MeshWriterTest, PlyHeaderIsExact) {
  const std::string ply = encode_ply(box());
  const std::string header =
      "ply\n"
      "format binary_little_endian 1.0\n"
      "element vertex 8\n"
      "property float x\n"
      "property float y\n"
      "property float z\n"
      "element face 12\n"
      "property list uchar uint vertex_indices\n"
      "end_header\n";
  ASSERT_EQ(ply.substr(0, header.size()), header);
  ASSERT_EQ(ply.size(), header.size() + 8 * 12 + 12 * 13);
  EXPECT_EQ(load<Vec3>(ply, header.size() + 7 * 12), (Vec3{11, 7.125f, 5.5f}));
  const std::size_t last_face = header.size() + 8 * 12 + 11 * 13;
  EXPECT_EQ(ply[last_face], 3);
  EXPECT_EQ(load<Triangle>(ply, last_face + 1), (Triangle{1, 7, 5}));
}

TEST_F(MeshWriterTest, GlbPositionBoundsCoverEveryVertex) {
  Mesh mesh = box();
  mesh.vertices.push_back({-20, 0, 100});  // unused, but glTF bounds cover the whole accessor
  const std::string glb = encode_glb(mesh);
  ASSERT_GE(glb.size(), 20u);
  EXPECT_EQ(glb.substr(0, 4), "glTF");
  EXPECT_EQ(load<std::uint32_t>(glb, 4), 2u);
  EXPECT_EQ(load<std::uint32_t>(glb, 8), glb.size());
  const std::uint32_t json_size = load<std::uint32_t>(glb, 12);
  EXPECT_EQ(glb.substr(16, 4), "JSON");
  const nlohmann::json gltf = nlohmann::json::parse(glb.substr(20, json_size));
  const nlohmann::json& positions = gltf["accessors"][0];
  EXPECT_EQ(positions["count"], 9);
  EXPECT_EQ(positions["min"], (std::vector<double>{-20, 0, 3}));
  EXPECT_EQ(positions["max"], (std::vector<double>{11, 7.125, 100}));
  EXPECT_EQ(gltf["accessors"][1]["count"], 36);
  EXPECT_EQ(gltf["meshes"][0]["primitives"][0]["attributes"]["POSITION"], 0);
}

TEST_F(MeshWriterTest, ThreeMfIsAZipPackage) {
  const std::string package = encode_3mf(box());
  EXPECT_EQ(package.substr(0, 4), std::string("PK\3\4"));
}

TEST_F(MeshWriterTest, EncodeMeshPicksTheEncoder) {
  const Mesh mesh = box();
  EXPECT_EQ(encode_mesh(mesh, MeshFormat::kStl), encode_stl(mesh));
  EXPECT_EQ(encode_mesh(mesh, MeshFormat::kObj), encode_obj(mesh));
  EXPECT_EQ(encode_mesh(mesh, MeshFormat::kPly), encode_ply(mesh));
  EXPECT_EQ(encode_mesh(mesh, MeshFormat::kGlb), encode_glb(mesh));
  EXPECT_EQ(encode_mesh(mesh, MeshFormat::k3mf).substr(0, 2), "PK");  // 3MF has random UUIDs
}

TEST_F(MeshWriterTest, WriteMeshWritesTheEncodedFile) {
  write_mesh(box(), MeshFormat::kPly, dir_ / "box.ply");
  EXPECT_EQ(read_file(dir_ / "box.ply"), encode_ply(box()));
  EXPECT_EQ(code_of([&] { write_mesh(box(), MeshFormat::kPly, dir_ / "no" / "box.ply"); }),
            ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas
