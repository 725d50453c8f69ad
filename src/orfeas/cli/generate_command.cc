#include "orfeas/cli/generate_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "orfeas/core/error.h"
#include "orfeas/export/atomic_file.h"
#include "orfeas/export/mesh_format.h"
#include "orfeas/export/mesh_writer.h"
#include "orfeas/generate/photo_to_mesh.h"
#include "orfeas/imaging/decode.h"

namespace orfeas {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

struct Job {
  fs::path image;
  fs::path output;
};

// Where each image's mesh goes; checks the destination before any work is done.
std::vector<Job> plan_jobs(const GenerateArgs& args, MeshFormat format) {
  std::vector<Job> jobs;
  const fs::path out(args.output);
  if (args.images.size() == 1) {
    const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
    if (!fs::is_directory(dir)) {
      throw Error(ErrorCode::kBadInput, "output directory " + dir.string() + " does not exist");
    }
    if (fs::is_directory(out)) {
      throw Error(ErrorCode::kBadInput, "output " + out.string() + " is a directory");
    }
    jobs.push_back({args.images.front(), out});
    return jobs;
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!fs::is_directory(out)) {
    throw Error(ErrorCode::kBadInput,
                "output " + out.string() + " must be a directory when several images are given");
  }
  std::set<fs::path> taken;
  for (const std::string& image : args.images) {
    fs::path target = out / fs::path(image).stem();
    target += "." + std::string(mesh_format_name(format));
    if (!taken.insert(target).second) {
      throw Error(ErrorCode::kBadInput, "two images would both be written to " + target.string());
    }
    jobs.push_back({image, target});
  }
  return jobs;
}

MeshFormat chosen_format(const GenerateArgs& args) {
  if (!args.format.empty()) return parse_mesh_format(args.format);
  if (args.images.size() == 1) return mesh_format_from_path(args.output);
  return MeshFormat::kStl;
}

// Prints "<image>: <stage> 0.12 s" on stderr as each stage completes.
class StageLog {
 public:
  StageLog(std::string image, bool quiet) : image_(std::move(image)), quiet_(quiet) {}

  void operator()(std::string_view stage, double fraction) {
    if (quiet_) return;
    auto [it, fresh] = started_.try_emplace(std::string(stage), Clock::now());
    if (fraction >= 1.0 && !fresh) {
      const double seconds = std::chrono::duration<double>(Clock::now() - it->second).count();
      std::fprintf(stderr, "%s: %-8s %6.2f s\n", image_.c_str(), it->first.c_str(), seconds);
      started_.erase(it);
    }
  }

 private:
  std::string image_;
  bool quiet_;
  std::map<std::string, Clock::time_point> started_;
};

void print_summary(const fs::path& output, const PrintReport& r) {
  std::printf("%s: %s, %s, %d part%s, %zu triangles, %.1f x %.1f x %.1f mm, %.0f mm3\n",
              output.string().c_str(), r.closed ? "closed" : "NOT closed",
              r.manifold ? "manifold" : "NOT manifold", r.components,
              r.components == 1 ? "" : "s", r.triangles, r.bbox_mm.x, r.bbox_mm.y, r.bbox_mm.z,
              r.volume_mm3);
  for (const std::string& warning : r.warnings) std::printf("  warning: %s\n", warning.c_str());
}

nlohmann::json generate_one(const Job& job, const GenerateArgs& args, MeshFormat format) {
  StageLog log(job.image.string(), args.quiet);
  const ProgressFn progress = [&log](std::string_view stage, double f) { log(stage, f); };

  PhotoToMeshOptions options;
  options.method = args.method;
  options.generator_options = {{"resolution", args.resolution}, {"size_mm", args.size_mm}};
  options.printable.target_faces = static_cast<std::size_t>(args.faces);

  const std::vector<std::uint8_t> bytes = read_file_bytes(job.image);
  const PrintableMesh result = photo_to_mesh(bytes, options, progress, CancelToken());
  progress("write", 0.0);
  write_mesh(result.mesh, format, job.output);
  progress("write", 1.0);
  print_summary(job.output, result.report);

  nlohmann::json entry = result.report.to_json();
  entry["image"] = job.image.string();
  entry["output"] = job.output.string();
  entry["format"] = mesh_format_name(format);
  entry["method"] = args.method;
  return entry;
}

void fail(const std::string& context, const std::string& message) {
  std::fprintf(stderr, "orfeas: error: %s%s\n", context.c_str(), message.c_str());
}

}  // namespace

CLI::App* add_generate_command(CLI::App& app, GenerateArgs& args) {
  CLI::App* cmd = app.add_subcommand("generate", "turn photos of objects into printable meshes");
  cmd->add_option("images", args.images, "input photos (PNG, JPEG, WebP, BMP)")->required();
  cmd->add_option("-o,--output", args.output,
                  "output file (one image) or directory (several images)")
      ->required();
  cmd->add_option("--format", args.format, "stl, obj, ply, glb or 3mf (default: from -o)");
  cmd->add_option("--method", args.method, "inflate (default) or relief");
  cmd->add_option("--size-mm", args.size_mm, "longest side of the printed object")
      ->capture_default_str();
  cmd->add_option("--resolution", args.resolution, "grid cells along the longest side")
      ->capture_default_str();
  cmd->add_option("--faces", args.faces, "target triangle count, 0 keeps all")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--report", args.report, "write the printability report to this JSON file");
  cmd->add_flag("-q,--quiet", args.quiet, "no progress on stderr");
  return cmd;
}

int run_generate(const GenerateArgs& args) {
  std::vector<Job> jobs;
  MeshFormat format;
  try {
    format = chosen_format(args);
    jobs = plan_jobs(args, format);
  } catch (const Error& e) {
    fail("", e.message());
    return exit_code(e.code());
  }

  int status = 0;
  nlohmann::json reports = nlohmann::json::array();
  for (const Job& job : jobs) {
    try {
      reports.push_back(generate_one(job, args, format));
    } catch (const Error& e) {
      fail(job.image.string() + ": ", e.message());
      if (status == 0) status = exit_code(e.code());
    } catch (const std::exception& e) {
      fail(job.image.string() + ": internal error: ", e.what());
      if (status == 0) status = 1;
    }
  }
  if (!args.report.empty() && !reports.empty()) {
    try {
      const nlohmann::json body = jobs.size() == 1 ? reports.front() : reports;
      write_file_atomically(args.report, body.dump(2) + "\n");
    } catch (const Error& e) {
      fail("report: ", e.message());
      if (status == 0) status = exit_code(e.code());
    }
  }
  return status;
}

}  // namespace orfeas
