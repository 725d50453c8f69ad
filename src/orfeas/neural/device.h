// Where and in which precision the neural engine runs.
#pragma once

#include <ATen/ATen.h>

#include <string_view>

namespace orfeas::neural {

// device: "auto" | "cpu" | "cuda"; dtype: "auto" | "float32" | "float16" | "bfloat16".
// auto device: CUDA when available, else CPU. auto dtype: on CUDA bfloat16 when the GPU supports
// it (compute capability 8.0 or newer), else float16; on CPU float32. Throws Error(bad_input) for
// unknown names, for "cuda" when no CUDA device is available, and for a half type on CPU (too slow
// and inexact to be useful there).
at::TensorOptions select_device(std::string_view device, std::string_view dtype);

}  // namespace orfeas::neural
