#include "orfeas/export/decode_ply.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/export/mesh_writer.h"

namespace orfeas {
namespace {

// An octahedron with asymmetric, awkward coordinates and one vertex no face uses.
Mesh octahedron() {
  Mesh mesh;
  mesh.vertices = {{1.25f, 0.5f, -3},      {-7, 0.5f, -3},         {-2.875f, 4.75f, -3},
                   {-2.875f, -3.75f, -3},  {-2.875f, 0.5f, 1e-7f}, {-2.875f, 0.5f, -6.5f},
                   {-0.0f, 1e30f, -1e-30f}};
  mesh.triangles = {{0, 2, 4}, {2, 1, 4}, {1, 3, 4}, {3, 0, 4},
                    {2, 0, 5}, {1, 2, 5}, {3, 1, 5}, {0, 3, 5}};
  return mesh;
}

std::string header(const std::string& vertices, const std::string& faces) {
  return "ply\nformat binary_little_endian 1.0\nelement vertex " + vertices +
         "\nproperty float x\nproperty float y\nproperty float z\nelement face " + faces +
         "\nproperty list uchar uint vertex_indices\nend_header\n";
}

bool is_bad_input(std::string_view bytes) {
  try {
    decode_ply(bytes);
  } catch (const Error& e) {
    return e.code() == ErrorCode::kBadInput;
  }
  return false;
}

TEST(ReadPlyTest, RoundTripsEncodePlyExactly) {
  const Mesh mesh = octahedron();
  const Mesh decoded = decode_ply(encode_ply(mesh));
  ASSERT_EQ(decoded.vertices.size(), mesh.vertices.size());
  for (std::size_t i = 0; i < mesh.vertices.size(); ++i) {
    // Bitwise, so that -0 stays -0.
    EXPECT_EQ(std::memcmp(&decoded.vertices[i], &mesh.vertices[i], sizeof(Vec3)), 0) << i;
  }
  EXPECT_EQ(decoded.triangles, mesh.triangles);
}

TEST(ReadPlyTest, EveryTruncationIsBadInput) {
  const std::string ply = encode_ply(octahedron());
  for (std::size_t size = 0; size < ply.size(); ++size) {
    EXPECT_TRUE(is_bad_input(std::string_view(ply).substr(0, size))) << "size " << size;
  }
}

TEST(ReadPlyTest, TrailingBytesAreBadInput) {
  EXPECT_TRUE(is_bad_input(encode_ply(octahedron()) + '\0'));
}

TEST(ReadPlyTest, EverySingleByteCorruptionIsRejectedOrDecodesToAValidMesh) {
  const std::string ply = encode_ply(octahedron());
  for (std::size_t i = 0; i < ply.size(); ++i) {
    for (int flip : {0x01, 0x80, 0xff}) {
      std::string corrupt = ply;
      corrupt[i] = static_cast<char>(corrupt[i] ^ flip);
      try {
        const Mesh mesh = decode_ply(corrupt);
        for (const Triangle& t : mesh.triangles) {
          for (std::uint32_t v : t) ASSERT_LT(v, mesh.vertices.size()) << "byte " << i;
        }
        for (const Vec3& p : mesh.vertices) {
          ASSERT_TRUE(std::isfinite(p.x) && std::isfinite(p.y) && std::isfinite(p.z));
        }
      } catch (const Error& e) {
        ASSERT_EQ(e.code(), ErrorCode::kBadInput) << "byte " << i;
      }
    }
  }
}

TEST(ReadPlyTest, HugeCountsAreRejectedBeforeAllocating) {
  EXPECT_TRUE(is_bad_input(header("4294967295", "4294967295")));
  EXPECT_TRUE(is_bad_input(header("4294967296", "1")));  // over 32 bits
  EXPECT_TRUE(is_bad_input(header("99999999999999999999", "1")));
}

TEST(ReadPlyTest, CountsMustBePlainDecimals) {
  const std::string body(12 * 3 + 1 + 12, '\0');
  std::string valid = header("3", "1") + body;
  valid[valid.size() - 13] = 3;  // the face's count byte
  ASSERT_EQ(decode_ply(valid).triangles.size(), 1u);
  for (const char* count : {"", "+3", "-3", "03", " 3", "3 ", "3.0", "0x3"}) {
    std::string bytes = header(count, "1") + body;
    bytes[bytes.size() - 13] = 3;
    EXPECT_TRUE(is_bad_input(bytes)) << "'" << count << "'";
  }
}

TEST(ReadPlyTest, OtherLayoutsAreBadInput) {
  const std::string body(12 * 3 + 13, '\0');
  std::string other = header("3", "1") + body;
  for (auto [from, to] :
       {std::pair{"binary_little_endian", "binary_big_endian"}, std::pair{"float x", "double x"},
        std::pair{"uchar uint", "uchar int"}, std::pair{"ply\n", "ply\ncomment hello\n"},
        std::pair{"end_header\n", "end_header\r\n"}}) {
    std::string bytes = other;
    bytes.replace(bytes.find(from), std::strlen(from), to);
    EXPECT_TRUE(is_bad_input(bytes)) << to;
  }
  EXPECT_TRUE(is_bad_input("solid ascii stl\n"));
}

TEST(ReadPlyTest, BadFacesAndCoordinatesAreBadInput) {
  const Mesh mesh = octahedron();
  const std::string ply = encode_ply(mesh);
  const std::size_t body = ply.find("end_header\n") + 11;
  const std::size_t first_face = body + 12 * mesh.vertices.size();

  std::string quad = ply;
  quad[first_face] = 4;
  EXPECT_TRUE(is_bad_input(quad));

  std::string past_end = ply;
  const std::uint32_t index = static_cast<std::uint32_t>(mesh.vertices.size());
  std::memcpy(past_end.data() + first_face + 1, &index, sizeof index);
  EXPECT_TRUE(is_bad_input(past_end));

  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::string not_finite = ply;
    std::memcpy(not_finite.data() + body + 4, &bad, sizeof bad);
    EXPECT_TRUE(is_bad_input(not_finite));
  }
}

TEST(ReadPlyTest, AMeshWithoutFacesIsBadInput) {
  EXPECT_TRUE(is_bad_input(header("0", "0")));
  EXPECT_TRUE(is_bad_input(header("1", "0") + std::string(12, '\0')));
}

}  // namespace
}  // namespace orfeas
