# Every third-party library comes from Debian (see scripts/setup.sh).
if(ORFEAS_NEURAL_ONLY)
  # The GPU machine: LibTorch, CUDA and a compiler; nlohmann/json.hpp may be carried there as a
  # bare header in ORFEAS_NLOHMANN_INCLUDE_DIR.
  find_package(Python3 COMPONENTS Interpreter)
  if(ORFEAS_NLOHMANN_INCLUDE_DIR)
    add_library(orfeas_nlohmann_json INTERFACE)
    target_include_directories(orfeas_nlohmann_json SYSTEM INTERFACE ${ORFEAS_NLOHMANN_INCLUDE_DIR})
    add_library(nlohmann_json::nlohmann_json ALIAS orfeas_nlohmann_json)
  else()
    find_package(nlohmann_json 3.10 REQUIRED)
  endif()
  include(OrfeasTorch)
  return()
endif()

find_package(Threads REQUIRED)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(meshoptimizer REQUIRED)
find_package(TinyGLTF REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIB3MF REQUIRED IMPORTED_TARGET lib3MF)
pkg_check_modules(NETTLE REQUIRED IMPORTED_TARGET nettle)  # SHA-256 and HMAC of signed requests

# Debian splits OpenCV; its CMake config ships only with the full libopencv-dev, so we locate the
# three modules we use (core, imgproc, imgcodecs) directly.
find_path(OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
add_library(orfeas_opencv INTERFACE)
foreach(module core imgproc imgcodecs)
  find_library(OPENCV_${module}_LIBRARY opencv_${module} REQUIRED)
  target_link_libraries(orfeas_opencv INTERFACE ${OPENCV_${module}_LIBRARY})
endforeach()
target_include_directories(orfeas_opencv SYSTEM INTERFACE ${OPENCV_INCLUDE_DIR})
add_library(Orfeas::OpenCV ALIAS orfeas_opencv)

if(ORFEAS_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(ORFEAS_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

include(OrfeasTorch)
