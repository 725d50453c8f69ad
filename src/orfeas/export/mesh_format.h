// The mesh file formats Orfeas writes.
#pragma once

#include <filesystem>
#include <string_view>

namespace orfeas {

enum class MeshFormat { kStl, kObj, kPly, kGlb, k3mf };

// "stl", "obj", "ply", "glb", "3mf" (case-insensitive). Throws Error{kBadInput} otherwise,
// naming the accepted formats.
MeshFormat parse_mesh_format(std::string_view name);

// The format named by a path's extension. Throws Error{kBadInput} for a missing or unknown one.
MeshFormat mesh_format_from_path(const std::filesystem::path& path);

std::string_view mesh_format_name(MeshFormat format);       // "stl", ...; also the extension
std::string_view mesh_format_mime_type(MeshFormat format);  // "model/stl", "model/gltf-binary", ...

}  // namespace orfeas
