# LibTorch for the neural engine, taken from the `torch` Python wheel (or wherever CMAKE_PREFIX_PATH
# / Torch_DIR point). ORFEAS_WITH_TORCH: AUTO builds the neural engine when LibTorch is found, ON
# fails without it, OFF never looks. Defines Orfeas::Torch when found.
set(ORFEAS_WITH_TORCH AUTO CACHE STRING "Build the neural engine on LibTorch: AUTO, ON or OFF")
set_property(CACHE ORFEAS_WITH_TORCH PROPERTY STRINGS AUTO ON OFF)
if(ORFEAS_NEURAL_ONLY)
  set(ORFEAS_WITH_TORCH ON)
endif()
if(ORFEAS_WITH_TORCH STREQUAL "OFF")
  return()
endif()

if(NOT Torch_DIR AND Python3_EXECUTABLE)
  execute_process(
    COMMAND ${Python3_EXECUTABLE} -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
    OUTPUT_VARIABLE torch_prefix
    OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE torch_import_result
    ERROR_QUIET)
  if(torch_import_result EQUAL 0)
    list(APPEND CMAKE_PREFIX_PATH ${torch_prefix})
  endif()
endif()

# We compile no CUDA code, so the nvcc architecture flags Torch's config computes go unused; naming
# one (Hopper, our GPU machine) spares its GPU probe, which fails to configure without a GPU.
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST 9.0)
endif()
if(ORFEAS_WITH_TORCH STREQUAL "ON")
  find_package(Torch CONFIG REQUIRED)
else()
  find_package(Torch CONFIG QUIET)
endif()
if(NOT Torch_FOUND)
  message(STATUS "LibTorch not found: the neural engine is not built")
  return()
endif()
message(STATUS "LibTorch ${Torch_VERSION}: building the neural engine")

# Torch's imported targets bring their include directories as SYSTEM (no warnings from them under
# -Wpedantic -Werror) and TORCH_CXX_FLAGS (the C++ ABI the libraries were built with) as compile
# options. The torch wheels also export the std::filesystem functions of the libstdc++ they were
# built with (pytorch/pytorch#133437), and those crash when our code binds to them (remove_all
# jumps to address 0); naming libstdc++ ahead of LibTorch makes the dynamic linker bind every
# std::filesystem call to the system library.
add_library(orfeas_torch INTERFACE)
target_link_libraries(orfeas_torch INTERFACE stdc++ ${TORCH_LIBRARIES})
add_library(Orfeas::Torch ALIAS orfeas_torch)
