#include "orfeas/neural/layers.h"

namespace orfeas::neural {
namespace {

// "<name>.<tensor>", or just "<tensor>" for a layer that is the scope itself.
std::string tensor_name(const std::string& name, const char* tensor) {
  return name.empty() ? tensor : name + "." + tensor;
}

}  // namespace

Linear::Linear(const Weights& w, const std::string& name, int64_t in, int64_t out, bool bias)
    : weight(w.take(tensor_name(name, "weight"), {out, in})) {
  if (bias) this->bias = w.take(tensor_name(name, "bias"), {out});
}

at::Tensor Linear::operator()(const at::Tensor& x) const { return at::linear(x, weight, bias); }

LayerNorm::LayerNorm(const Weights& w, const std::string& name, int64_t dim, double eps,
                     bool affine)
    : dim(dim), eps(eps) {
  if (affine) {
    weight = w.take(tensor_name(name, "weight"), {dim});
    bias = w.take(tensor_name(name, "bias"), {dim});
  }
}

at::Tensor LayerNorm::operator()(const at::Tensor& x) const {
  return at::layer_norm(x, {dim}, weight, bias, eps);
}

RMSNorm::RMSNorm(const Weights& w, const std::string& weight_name, int64_t dim, double eps)
    : eps(eps), weight(w.take(weight_name, {dim})) {}

at::Tensor RMSNorm::operator()(const at::Tensor& x) const {
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor inverse_rms = at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return (x32 * inverse_rms).to(x.scalar_type()) * weight;
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  return at::scaled_dot_product_attention(q, k, v);
}

at::Tensor gelu(const at::Tensor& x, GeluApproximation approximation) {
  return at::gelu(x, approximation == GeluApproximation::kTanh ? "tanh" : "none");
}

}  // namespace orfeas::neural
