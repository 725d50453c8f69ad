// Per-stage times of the whole flow on one photo at several grid resolutions.
//
//   ./build/bench/pipeline_bench examples/duck.jpg [repeats]
//
// Prints, for resolutions 128, 192, 256 and 384, the best-of-N time of each stage: decode, mask
// (foreground), cutout, field (inflate), mesh (marching cubes, cleanup, simplification to 40000
// faces, placement, report) and encode (binary STL), and their total.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "orfeas/core/error.h"
#include "orfeas/export/mesh_writer.h"
#include "orfeas/generate/inflate.h"
#include "orfeas/imaging/cutout.h"
#include "orfeas/imaging/decode.h"
#include "orfeas/imaging/foreground.h"
#include "orfeas/mesh/printable.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename F>
double best_seconds(int repeats, F&& work) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    work();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PHOTO [repeats]\n", argv[0]);
    return 2;
  }
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  try {
    using namespace orfeas;
    const std::vector<std::uint8_t> bytes = read_file_bytes(argv[1]);
    cv::Mat image;
    cv::Mat mask;
    Cutout cutout;
    const double decode = best_seconds(repeats, [&] { image = decode_image(bytes); });
    const double masking = best_seconds(repeats, [&] { mask = foreground_mask(image); });
    const double cutting = best_seconds(repeats, [&] { cutout = cut_out(image, mask); });
    std::printf("photo %s: %dx%d, %u hardware threads, best of %d\n", argv[1], image.cols,
                image.rows, std::thread::hardware_concurrency(), repeats);
    std::printf("%10s %8s %8s %8s %8s %8s %8s %8s %10s\n", "resolution", "decode", "mask",
                "cutout", "field", "mesh", "encode", "total", "triangles");
    const InflateGenerator inflate;
    for (int resolution : {128, 192, 256, 384}) {
      const std::vector<GeneratorInput> inputs{{cutout, {{"resolution", resolution}}}};
      std::vector<Field> fields;
      PrintableMesh printable;
      const double field = best_seconds(
          repeats, [&] { fields = inflate.generate(inputs, {}, CancelToken()); });
      const double mesh =
          best_seconds(repeats, [&] { printable = make_printable(fields[0], PrintableOptions{}); });
      const double encode = best_seconds(repeats, [&] { encode_stl(printable.mesh); });
      const double total = decode + masking + cutting + field + mesh + encode;
      std::printf("%10d %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %10zu\n", resolution, decode,
                  masking, cutting, field, mesh, encode, total, printable.mesh.triangles.size());
    }
  } catch (const orfeas::Error& e) {
    std::fprintf(stderr, "pipeline_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
