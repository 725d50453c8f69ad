// Checkpoints written by Python's torch.save (the zip format of PyTorch 1.6 and later), as the
// official .ckpt files are: a pickled dict whose tensors live in the archive's data/ records.
// LibTorch's own unpickler turns collections.OrderedDict (every state_dict) into None, so this
// reads the pickle itself, with a small interpreter that builds only dicts, lists, tuples,
// scalars, strings and tensors and never runs code from the file.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>

namespace orfeas::neural {

// The tensors of `file`, a torch.save'd dict of tensors; nested dicts ({"model": {...}}) give
// dotted names ("model.x.weight"). Tensors are CPU tensors of their stored dtype, whatever device
// they were saved from. Throws Error(not_found) if the file cannot be opened, Error(bad_input)
// naming the file if it is not such an archive or holds anything but (nested dicts of) tensors
// (naming the entry), e.g. a legacy pre-1.6 pickle file.
std::map<std::string, at::Tensor> read_torch_checkpoint(const std::filesystem::path& file);

}  // namespace orfeas::neural
