// Times orfeas::marching_cubes on a raw float32 field (x fastest), as written by
// bench/marching_cubes_vs_skimage.py, and prints one JSON line with what it measured.
//
//   marching_cubes_bench FIELD.f32 NX NY NZ [--threads T] [--repeat N] [--iso V]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "orfeas/core/field.h"
#include "orfeas/mesh/marching_cubes.h"

namespace {

int usage() {
  std::cerr << "usage: marching_cubes_bench FIELD.f32 NX NY NZ [--threads T] [--repeat N] "
               "[--iso V]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return usage();
  orfeas::Field field =
      orfeas::Field::filled(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]), 0.0f);
  int threads = 0, repeat = 5;
  for (int a = 5; a + 1 < argc; a += 2) {
    const std::string flag = argv[a];
    if (flag == "--threads") {
      threads = std::atoi(argv[a + 1]);
    } else if (flag == "--repeat") {
      repeat = std::max(1, std::atoi(argv[a + 1]));
    } else if (flag == "--iso") {
      field.iso = std::strtof(argv[a + 1], nullptr);
    } else {
      return usage();
    }
  }
  std::ifstream in(argv[1], std::ios::binary);
  in.read(reinterpret_cast<char*>(field.values.data()),
          std::streamsize(field.values.size() * sizeof(float)));
  if (!in || in.peek() != std::char_traits<char>::eof()) {
    std::cerr << argv[1] << " does not hold exactly " << field.values.size() << " floats\n";
    return 1;
  }

  double best = std::numeric_limits<double>::infinity();
  orfeas::Mesh mesh;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    mesh = orfeas::marching_cubes(field, threads);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count());
  }
  const int used_threads =
      threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
  std::cout << nlohmann::json{{"threads", used_threads},
                              {"repeat", repeat},
                              {"best_s", best},
                              {"triangles", mesh.triangles.size()},
                              {"vertices", mesh.vertices.size()}}
                   .dump()
            << "\n";
  return 0;
}
