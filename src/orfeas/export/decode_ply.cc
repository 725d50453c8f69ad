#include "orfeas/export/decode_ply.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

static_assert(std::endian::native == std::endian::little, "the PLY body is read as is");

[[noreturn]] void malformed(const std::string& why) {
  throw Error(ErrorCode::kBadInput, "malformed PLY: " + why);
}

// The header, line by line.
class HeaderReader {
 public:
  explicit HeaderReader(std::string_view bytes) : rest_(bytes) {}

  void expect(std::string_view line) {
    if (next_line() != line) malformed("expected header line '" + std::string(line) + "'");
  }

  // A line "<prefix><count>", count a decimal without sign or leading zeros that fits 32 bits.
  std::uint32_t expect_count(std::string_view prefix) {
    const std::string_view line = next_line();
    if (!line.starts_with(prefix)) malformed("expected header line '" + std::string(prefix) + "N'");
    const std::string_view digits = line.substr(prefix.size());
    std::uint32_t count = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
        (digits.size() > 1 && digits[0] == '0')) {
      malformed("bad count in '" + std::string(line) + "'");
    }
    return count;
  }

  std::string_view rest() const { return rest_; }

 private:
  std::string_view next_line() {
    const std::size_t end = rest_.find('\n');
    if (end == std::string_view::npos) malformed("truncated header");
    const std::string_view line = rest_.substr(0, end);
    rest_.remove_prefix(end + 1);
    return line;
  }

  std::string_view rest_;
};

template <typename T>
T load(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

}  // namespace

Mesh decode_ply(std::string_view bytes) {
  HeaderReader header(bytes);
  header.expect("ply");
  header.expect("format binary_little_endian 1.0");
  const std::uint32_t vertex_count = header.expect_count("element vertex ");
  header.expect("property float x");
  header.expect("property float y");
  header.expect("property float z");
  const std::uint32_t face_count = header.expect_count("element face ");
  header.expect("property list uchar uint vertex_indices");
  header.expect("end_header");
  if (face_count == 0) malformed("no faces");

  constexpr std::uint64_t kVertexBytes = 3 * sizeof(float);
  constexpr std::uint64_t kFaceBytes = 1 + 3 * sizeof(std::uint32_t);
  const std::string_view body = header.rest();
  const std::uint64_t expected = vertex_count * kVertexBytes + face_count * kFaceBytes;
  if (body.size() != expected) {
    malformed("body has " + std::to_string(body.size()) + " bytes, header says " +
              std::to_string(expected));
  }

  Mesh mesh;
  mesh.vertices.resize(vertex_count);
  const char* at = body.data();
  for (Vec3& p : mesh.vertices) {
    for (int axis = 0; axis < 3; ++axis, at += sizeof(float)) {
      p[axis] = load<float>(at);
      if (!std::isfinite(p[axis])) malformed("non-finite coordinate");
    }
  }
  mesh.triangles.resize(face_count);
  for (Triangle& t : mesh.triangles) {
    if (*at++ != 3) malformed("a face is not a triangle");
    for (std::uint32_t& v : t) {
      v = load<std::uint32_t>(at);
      at += sizeof v;
      if (v >= vertex_count) malformed("a face indexes past the vertices");
    }
  }
  return mesh;
}

}  // namespace orfeas
