#include "orfeas/neural/device.h"

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"

namespace orfeas::neural {
namespace {

using test::code_of;

TEST(DeviceTest, CpuRunsInFloat32) {
  const at::TensorOptions cpu = select_device("cpu", "float32");
  EXPECT_EQ(cpu.device(), at::Device(at::kCPU));
  EXPECT_EQ(cpu.dtype(), at::kFloat);
  EXPECT_EQ(select_device("cpu", "auto").dtype(), at::kFloat);
}

TEST(DeviceTest, AutoPicksCudaWhenAvailableElseCpu) {
  const at::TensorOptions chosen = select_device("auto", "auto");
  if (at::hasCUDA()) {
    EXPECT_TRUE(chosen.device().is_cuda());
    EXPECT_TRUE(chosen.dtype() == at::kBFloat16 || chosen.dtype() == at::kHalf);
  } else {
    EXPECT_EQ(chosen.device(), at::Device(at::kCPU));
    EXPECT_EQ(chosen.dtype(), at::kFloat);
  }
}

TEST(DeviceTest, HalfTypesOnCpuAreBadInput) {
  EXPECT_EQ(code_of([] { select_device("cpu", "float16"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { select_device("cpu", "bfloat16"); }), ErrorCode::kBadInput);
}

TEST(DeviceTest, UnknownNamesAreBadInput) {
  EXPECT_EQ(code_of([] { select_device("tpu", "float32"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { select_device("cpu", "int8"); }), ErrorCode::kBadInput);
}

TEST(DeviceTest, CudaWithoutAGpuIsBadInput) {
  if (at::hasCUDA()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(code_of([] { select_device("cuda", "float32"); }), ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas::neural
