// The small building blocks every Hunyuan3D-2 module uses, numerically equal to their torch.nn
// counterparts. Each takes its tensors from a Weights scope by official name.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "orfeas/neural/weights.h"

namespace orfeas::neural {

// torch.nn.Linear: y = x W^T + b, W "<name>.weight" [out, in], b "<name>.bias" [out].
struct Linear {
  Linear(const Weights& w, const std::string& name, int64_t in, int64_t out, bool bias = true);
  at::Tensor operator()(const at::Tensor& x) const;

  at::Tensor weight;
  at::Tensor bias;  // undefined when absent
};

// torch.nn.LayerNorm over the last dimension `dim`. With affine, takes "<name>.weight" and
// "<name>.bias" [dim]; without, takes no tensors.
struct LayerNorm {
  LayerNorm(const Weights& w, const std::string& name, int64_t dim, double eps, bool affine = true);
  at::Tensor operator()(const at::Tensor& x) const;

  int64_t dim;
  double eps;
  at::Tensor weight, bias;  // undefined without affine
};

// RMS norm over the last dimension as hy3dgen computes it: in float32,
// x * rsqrt(mean(x^2) + eps), cast back to x's dtype, then times the [dim] tensor `weight_name`
// (the full tensor name, e.g. "img_attn.norm.query_norm.scale").
struct RMSNorm {
  RMSNorm(const Weights& w, const std::string& weight_name, int64_t dim, double eps = 1e-6);
  at::Tensor operator()(const at::Tensor& x) const;

  double eps;
  at::Tensor weight;
};

// softmax(q k^T / sqrt(d)) v over [B, heads, L, d] tensors (at::scaled_dot_product_attention, no
// mask, no dropout).
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

// torch.nn.GELU: exact (erf) or the tanh approximation (approximate="tanh"). Call it qualified,
// neural::gelu(x), when leaving the approximation out: argument lookup also finds at::gelu(x).
enum class GeluApproximation { kNone, kTanh };
at::Tensor gelu(const at::Tensor& x, GeluApproximation approximation = GeluApproximation::kNone);

}  // namespace orfeas::neural
