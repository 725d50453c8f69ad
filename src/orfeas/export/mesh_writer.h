// Encoders for every MeshFormat. Coordinates are written as given (millimetres after placement);
// formats with a unit (3MF) declare millimetres, GLB is written as is (glTF has no unit field).
#pragma once

#include <filesystem>
#include <string>

#include "orfeas/core/mesh.h"
#include "orfeas/export/mesh_format.h"

namespace orfeas {

std::string encode_stl(const Mesh& mesh);  // binary STL with facet normals
std::string encode_obj(const Mesh& mesh);  // v / f lines, 1-based
std::string encode_ply(const Mesh& mesh);  // binary little-endian PLY
std::string encode_glb(const Mesh& mesh);  // glTF 2.0 binary: positions, normals-free, uint32 indices
std::string encode_3mf(const Mesh& mesh);  // 3MF package, unit millimetre

std::string encode_mesh(const Mesh& mesh, MeshFormat format);

// encode_mesh, then write_file_atomically.
void write_mesh(const Mesh& mesh, MeshFormat format, const std::filesystem::path& path);

}  // namespace orfeas
