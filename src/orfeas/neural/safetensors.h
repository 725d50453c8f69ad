// The safetensors file format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header mapping each tensor name to {dtype, shape, data_offsets}, then the
// raw little-endian tensor bytes. Official Hunyuan3D-2 weights ship in it, and the parity harness
// exchanges tensors with Python through it.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace orfeas::neural {

// Named tensors in a fixed order.
using TensorList = std::vector<std::pair<std::string, at::Tensor>>;

// Reads every tensor of `file`, in the order of their bytes in the file. The tensors are CPU
// tensors of the stored dtype (F16, BF16, F32, F64, I64, I32, I16, I8, U8, BOOL) that view a
// private memory mapping of the file, which stays alive while any of them does; writing to one
// changes only this process's copy. Tensors whose bytes are not aligned to their element size are
// copied. The "__metadata__" entry is checked and skipped. Throws Error(bad_input) naming the file
// on any format problem: short file, absurd header length, bad JSON, unknown dtype, negative shape,
// offsets outside the data or not matching shape * element size, overlapping tensors, duplicate
// names. Throws Error(not_found) when the file cannot be opened.
TensorList read_safetensors(const std::filesystem::path& file);

// Writes `tensors` (any device; each of a dtype listed above; names unique and not
// "__metadata__") as a safetensors file, contiguous, in the given order. The file is written under
// a temporary name and renamed into place. Throws Error(bad_input) for an unsupported dtype or a
// duplicate name, Error(internal) when the file cannot be written.
void write_safetensors(const std::filesystem::path& file, const TensorList& tensors);

}  // namespace orfeas::neural
