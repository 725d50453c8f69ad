#include "orfeas/export/mesh_format.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

struct FormatInfo {
  MeshFormat format;
  std::string_view name;
  std::string_view mime_type;
};

constexpr std::array<FormatInfo, 5> kFormats = {{
    {MeshFormat::kStl, "stl", "model/stl"},
    {MeshFormat::kObj, "obj", "model/obj"},
    {MeshFormat::kPly, "ply", "application/x-ply"},
    {MeshFormat::kGlb, "glb", "model/gltf-binary"},
    {MeshFormat::k3mf, "3mf", "model/3mf"},
}};

constexpr std::string_view kAcceptedNames = "stl, obj, ply, glb, 3mf";

const FormatInfo& info(MeshFormat format) {
  return *std::find_if(kFormats.begin(), kFormats.end(),
                       [format](const FormatInfo& f) { return f.format == format; });
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

}  // namespace

MeshFormat parse_mesh_format(std::string_view name) {
  const std::string lower = to_lower(name);
  for (const FormatInfo& f : kFormats) {
    if (f.name == lower) return f.format;
  }
  throw Error(ErrorCode::kBadInput,
              "unknown mesh format '" + std::string(name) + "'; expected one of " +
                  std::string(kAcceptedNames),
              {{"format", name}, {"accepted", kAcceptedNames}});
}

MeshFormat mesh_format_from_path(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  if (extension.size() < 2) {
    throw Error(ErrorCode::kBadInput,
                "cannot tell the mesh format of '" + path.string() +
                    "': it has no extension; expected one of " + std::string(kAcceptedNames),
                {{"path", path.string()}, {"accepted", kAcceptedNames}});
  }
  return parse_mesh_format(std::string_view(extension).substr(1));
}

std::string_view mesh_format_name(MeshFormat format) { return info(format).name; }

std::string_view mesh_format_mime_type(MeshFormat format) { return info(format).mime_type; }

}  // namespace orfeas
