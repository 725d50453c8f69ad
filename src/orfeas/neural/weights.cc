#include "orfeas/neural/weights.h"

#include <utility>
#include <vector>

#include "orfeas/core/error.h"
#include "orfeas/neural/safetensors.h"
#include "orfeas/neural/torch_checkpoint.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;

constexpr size_t kNamesListed = 20;

std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

}  // namespace

Weights::Weights(std::map<std::string, at::Tensor> tensors, at::TensorOptions target)
    : Weights(std::make_shared<Store>(Store{std::move(tensors), {}, "the weights"}), "", target) {}

Weights::Weights(std::shared_ptr<Store> store, std::string prefix, at::TensorOptions target)
    : store_(std::move(store)), prefix_(std::move(prefix)), target_(target) {}

Weights Weights::load(const fs::path& file, at::TensorOptions target) {
  std::error_code error;
  if (!fs::is_regular_file(file, error)) {
    throw Error(ErrorCode::kNotFound, "weights file '" + file.string() + "' does not exist",
                {{"path", file.string()}});
  }
  const std::string extension = file.extension().string();
  std::map<std::string, at::Tensor> tensors;
  if (extension == ".safetensors") {
    for (auto& [name, tensor] : read_safetensors(file)) tensors.emplace(name, std::move(tensor));
  } else if (extension == ".ckpt" || extension == ".pt" || extension == ".pth") {
    tensors = read_torch_checkpoint(file);
  } else {
    throw Error(ErrorCode::kBadInput,
                "weights file '" + file.string() +
                    "' is neither .safetensors nor a torch.save .ckpt/.pt/.pth",
                {{"path", file.string()}});
  }
  auto store = std::make_shared<Store>(
      Store{std::move(tensors), {}, "weights file '" + file.string() + "'"});
  return Weights(std::move(store), "", target);
}

Weights Weights::scope(const std::string& prefix) const {
  if (prefix.empty()) return *this;
  return Weights(store_, prefix_ + prefix + ".", target_);
}

std::string Weights::full_name(const std::string& name) const { return prefix_ + name; }

at::Tensor Weights::take(const std::string& name, at::IntArrayRef shape) const {
  const std::string full = full_name(name);
  const auto found = store_->tensors.find(full);
  if (found == store_->tensors.end()) {
    throw Error(ErrorCode::kBadInput, "tensor '" + full + "' is missing from " + store_->source,
                {{"tensor", full}});
  }
  const at::Tensor& tensor = found->second;
  if (tensor.sizes() != shape) {
    throw Error(ErrorCode::kBadInput,
                "tensor '" + full + "' in " + store_->source + " has shape " +
                    shape_text(tensor.sizes()) + ", expected " + shape_text(shape),
                {{"tensor", full}});
  }
  store_->taken.insert(full);
  const at::ScalarType type = target_.has_dtype() && at::isFloatingType(tensor.scalar_type())
                                  ? target_.dtype().toScalarType()
                                  : tensor.scalar_type();
  return tensor.to(target_.device(), type);
}

bool Weights::has(const std::string& name) const {
  return store_->tensors.count(full_name(name)) != 0;
}

void Weights::expect_all_taken() const {
  std::vector<std::string> untaken;
  for (auto it = store_->tensors.lower_bound(prefix_);
       it != store_->tensors.end() && it->first.starts_with(prefix_); ++it) {
    if (!store_->taken.count(it->first)) untaken.push_back(it->first);
  }
  if (untaken.empty()) return;
  std::string listed;
  for (size_t i = 0; i < untaken.size() && i < kNamesListed; ++i) {
    listed += (i ? ", " : "") + untaken[i];
  }
  if (untaken.size() > kNamesListed) listed += ", ...";
  throw Error(
      ErrorCode::kBadInput,
      std::to_string(untaken.size()) + " tensors of " + store_->source +
          " are used by no module: " + listed,
      {{"untaken", std::vector<std::string>(
                       untaken.begin(), untaken.begin() + std::min(untaken.size(), kNamesListed))},
       {"count", untaken.size()}});
}

}  // namespace orfeas::neural
