// Strict lookup of a model's tensors by their official (PyTorch state_dict) names. A module takes
// each tensor it needs exactly once with its expected shape; after construction the caller checks
// that nothing in the checkpoint was left over, so a misnamed or extra tensor can never go
// unnoticed.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace orfeas::neural {

class Weights {
 public:
  // `target` says what take() converts tensors to: its device, and, when it has a dtype, the dtype
  // of every floating-point tensor (integer and bool tensors keep theirs). Default: CPU, stored
  // dtype.
  explicit Weights(std::map<std::string, at::Tensor> tensors, at::TensorOptions target = {});

  // Reads `file`: a .safetensors file (see safetensors.h), or a .ckpt/.pt/.pth written by
  // torch.save holding a dict of tensors, where nested dicts ({"model": {...}, "vae": {...}})
  // become dotted names ("model.x.weight") (see torch_checkpoint.h). Throws Error(bad_input) naming
  // the file if it is malformed or holds anything other than (nested dicts of) tensors,
  // Error(not_found) if it cannot be opened.
  static Weights load(const std::filesystem::path& file, at::TensorOptions target = {});

  // The tensors under `prefix` ("model", "model.double_blocks.3"): names are relative to it.
  // Scopes share one record of which tensors were taken.
  Weights scope(const std::string& prefix) const;

  // Tensor `name` (relative to this scope) converted to target(). Marks it taken. Throws
  // Error(bad_input) naming the full tensor name if it is missing or its shape differs from
  // `shape`.
  at::Tensor take(const std::string& name, at::IntArrayRef shape) const;

  // Whether tensor `name` (relative to this scope) exists.
  bool has(const std::string& name) const;

  // Throws Error(bad_input) naming the tensors (full names, the first 20 and the count) under this
  // scope that were never taken.
  void expect_all_taken() const;

  const at::TensorOptions& target() const { return target_; }

 private:
  struct Store {
    std::map<std::string, at::Tensor> tensors;
    std::set<std::string> taken;
    std::string source;  // what errors call the tensors: "weights file 'x.ckpt'"
  };
  Weights(std::shared_ptr<Store> store, std::string prefix, at::TensorOptions target);
  std::string full_name(const std::string& name) const;

  std::shared_ptr<Store> store_;
  std::string prefix_;  // "" or ends with "."
  at::TensorOptions target_;
};

}  // namespace orfeas::neural
