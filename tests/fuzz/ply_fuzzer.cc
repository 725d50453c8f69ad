// decode_ply on arbitrary bytes: either Error{kBadInput} or a mesh that encodes back to the very
// same bytes (the reader accepts exactly what the writer writes).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "orfeas/core/error.h"
#include "orfeas/export/decode_ply.h"
#include "orfeas/export/mesh_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const orfeas::Mesh mesh = orfeas::decode_ply(bytes);
    if (orfeas::encode_ply(mesh) != bytes) std::abort();
  } catch (const orfeas::Error& e) {
    if (e.code() != orfeas::ErrorCode::kBadInput) std::abort();
  }
  return 0;
}
