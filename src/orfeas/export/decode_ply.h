// Reads back the binary PLY that encode_ply (mesh_writer.h) writes, for services that store one
// mesh and convert it on demand.
#pragma once

#include <string_view>

#include "orfeas/core/mesh.h"

namespace orfeas {

// Decodes exactly the layout encode_ply writes: its header byte for byte (only the two counts
// vary), then N float xyz vertices and M faces of a uchar 3 and three uint32 indices, then
// nothing. The input may be a corrupted file, so everything is checked before it is used and
// memory is allocated only for counts the input's length can hold. Throws Error{kBadInput} for
// any other input, including a header with other properties or comments, a truncated or overlong
// body, a face that is not a triangle, an index past the vertices, a non-finite coordinate and a
// mesh without faces.
Mesh decode_ply(std::string_view bytes);

}  // namespace orfeas
