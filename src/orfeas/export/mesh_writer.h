// Encoders for every MeshFormat. Coordinates are written as given (millimetres after placement);
// formats with a unit (3MF) declare millimetres, GLB is written as is (glTF has no unit field and
// its Y-up convention is not applied). Every triangle and every vertex is written, in order, with
// the mesh's counter-clockwise-from-outside winding. Binary formats are little-endian.
//
// An empty mesh, a triangle indexing past the vertices or a non-finite vertex never reach export
// in a correct program: each encoder throws Error{kInternal} for them.
#pragma once

#include <filesystem>
#include <string>

#include "orfeas/core/mesh.h"
#include "orfeas/export/mesh_format.h"

namespace orfeas {

// Binary STL: an 80-byte header (not starting with "solid"), then per triangle its unit
// right-hand normal (zero for a degenerate triangle) and its three corners.
std::string encode_stl(const Mesh& mesh);

// Wavefront OBJ text: "v x y z" lines (shortest round-trip decimals), then "f a b c" lines with
// 1-based indices.
std::string encode_obj(const Mesh& mesh);

// Binary little-endian PLY with exactly this header (N vertices, M faces), which decode_ply
// (decode_ply.h) reads back:
//   ply / format binary_little_endian 1.0 / element vertex N / property float x|y|z /
//   element face M / property list uchar uint vertex_indices / end_header
std::string encode_ply(const Mesh& mesh);

// glTF 2.0 binary: one scene, node, mesh and triangle primitive; float positions (with the
// min/max glTF requires) and uint32 indices in the one BIN buffer; no normals.
std::string encode_glb(const Mesh& mesh);

// 3MF package (lib3mf): one mesh object and one build item, unit millimetre.
std::string encode_3mf(const Mesh& mesh);

std::string encode_mesh(const Mesh& mesh, MeshFormat format);

// encode_mesh, then write_file_atomically.
void write_mesh(const Mesh& mesh, MeshFormat format, const std::filesystem::path& path);

}  // namespace orfeas
