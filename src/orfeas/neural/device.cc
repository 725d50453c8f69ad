#include "orfeas/neural/device.h"

#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <string>

#include "orfeas/core/error.h"

namespace orfeas::neural {

at::TensorOptions select_device(std::string_view device, std::string_view dtype) {
  if (device != "auto" && device != "cpu" && device != "cuda") {
    throw Error(ErrorCode::kBadInput,
                "unknown device '" + std::string(device) + "' (expected auto, cpu or cuda)");
  }
  const bool cuda_available = at::hasCUDA();  // LibTorch built with CUDA and a device present
  if (device == "cuda" && !cuda_available) {
    throw Error(ErrorCode::kBadInput, "device 'cuda' requested but no CUDA device is available");
  }
  const bool on_cuda = device == "cuda" || (device == "auto" && cuda_available);

  at::ScalarType type;
  if (dtype == "auto") {
    if (!on_cuda) {
      type = at::kFloat;
    } else {
      // CUDAHooks answers this by the compute capability (>= 8.0, Ampere on), without our
      // needing the CUDA headers.
      type = at::detail::getCUDAHooks().supportsBFloat16ConvolutionWithCuDNNv8() ? at::kBFloat16
                                                                                 : at::kHalf;
    }
  } else if (dtype == "float32") {
    type = at::kFloat;
  } else if (dtype == "float16") {
    type = at::kHalf;
  } else if (dtype == "bfloat16") {
    type = at::kBFloat16;
  } else {
    throw Error(ErrorCode::kBadInput, "unknown dtype '" + std::string(dtype) +
                                          "' (expected auto, float32, float16 or bfloat16)");
  }
  if (!on_cuda && type != at::kFloat) {
    throw Error(ErrorCode::kBadInput,
                "dtype '" + std::string(dtype) + "' is not supported on the CPU; use float32");
  }
  return at::TensorOptions().device(on_cuda ? at::kCUDA : at::kCPU).dtype(type);
}

}  // namespace orfeas::neural
