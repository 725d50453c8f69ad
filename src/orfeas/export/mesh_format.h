// The mesh file formats Orfeas writes.
#pragma once

#include <filesystem>
#include <string_view>

namespace orfeas {

enum class MeshFormat { kStl, kObj, kPly, kGlb, k3mf };

// "stl", "obj", "ply", "glb", "3mf" (case-insensitive). Throws Error{kBadInput} otherwise,
// naming the accepted formats.
MeshFormat parse_mesh_format(std::string_view name);

// The format named by a path's extension ("out/cat.STL" is kStl). Throws Error{kBadInput} for a
// missing or unknown one.
MeshFormat mesh_format_from_path(const std::filesystem::path& path);

// "stl", "obj", "ply", "glb", "3mf": the name parse_mesh_format accepts and the file extension.
std::string_view mesh_format_name(MeshFormat format);

// The Content-Type of a file in `format`: model/stl, model/obj, model/gltf-binary and model/3mf
// are IANA-registered; PLY has no registered type, so it gets the de facto application/x-ply.
std::string_view mesh_format_mime_type(MeshFormat format);

}  // namespace orfeas
