#include "orfeas/cli/generate_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <span>
#include <variant>

#include "orfeas/core/error.h"
#include "orfeas/export/atomic_file.h"
#include "orfeas/export/mesh_format.h"
#include "orfeas/export/mesh_writer.h"
#include "orfeas/generate/option_spec.h"
#include "orfeas/generate/photo_to_mesh.h"
#include "orfeas/generate/registry.h"

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

// Prints "<image>: <stage> 0.12 s" on stderr as each stage completes. On a terminal it also shows
// how far a stage under way has come ("<image>: field     40 %"), on a line the next overwrites.
class StageLog {
 public:
  StageLog(std::string image, bool quiet)
      : image_(std::move(image)), quiet_(quiet), live_(isatty(STDERR_FILENO) == 1) {}

  void operator()(std::string_view stage, double fraction) {
    if (quiet_) return;
    auto [it, fresh] = started_.try_emplace(std::string(stage), Clock::now());
    if (fraction >= 1.0 && !fresh) {
      const double seconds = std::chrono::duration<double>(Clock::now() - it->second).count();
      std::fprintf(stderr, "%s%s: %-8s %6.2f s\n", live_ ? "\r\033[K" : "", image_.c_str(),
                   it->first.c_str(), seconds);
      started_.erase(it);
      shown_percent_ = -1;
    } else if (live_ && fraction > 0.0 && fraction < 1.0) {
      const int percent = static_cast<int>(fraction * 100);
      if (percent == shown_percent_) return;
      shown_percent_ = percent;
      std::fprintf(stderr, "\r\033[K%s: %-8s %3d %%", image_.c_str(), it->first.c_str(), percent);
    }
  }

 private:
  std::string image_;
  bool quiet_;
  bool live_;  // stderr is a terminal
  std::map<std::string, Clock::time_point> started_;
  int shown_percent_ = -1;  // of the last line shown under way
};

void print_summary(const fs::path& output, const PrintReport& r) {
  std::printf("%s: %s, %s, %d part%s, %zu triangles, %.1f x %.1f x %.1f mm, %.0f mm3\n",
              output.string().c_str(), r.closed ? "closed" : "NOT closed",
              r.manifold ? "manifold" : "NOT manifold", r.components, r.components == 1 ? "" : "s",
              r.triangles, r.bbox_mm.x, r.bbox_mm.y, r.bbox_mm.z, r.volume_mm3);
  for (const std::string& warning : r.warnings) std::printf("  warning: %s\n", warning.c_str());
}

// The generator options given on the command line: each --option NAME=VALUE (the value as JSON,
// so that the generator's checks name a non-number), and --resolution and --size-mm.
nlohmann::json given_generator_options(const GenerateArgs& args) {
  nlohmann::json given = nlohmann::json::object();
  const auto add = [&given](const std::string& name, nlohmann::json value) {
    if (given.contains(name)) {
      throw Error(ErrorCode::kBadInput, "option '" + name + "' is given twice");
    }
    given[name] = std::move(value);
  };
  for (const std::string& pair : args.options) {
    const std::size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw Error(ErrorCode::kBadInput, "--option '" + pair + "' is not NAME=VALUE");
    }
    const std::string text = pair.substr(equals + 1);
    nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    add(pair.substr(0, equals), value.is_discarded() ? nlohmann::json(text) : value);
  }
  if (args.resolution) add("resolution", *args.resolution);
  if (args.size_mm) add("size_mm", *args.size_mm);
  return given;
}

// Writes one photo's mesh and prints its summary; returns its report entry.
nlohmann::json write_result(const Job& job, const PrintableMesh& result, const GenerateArgs& args,
                            MeshFormat format, StageLog& log) {
  log("write", 0.0);
  write_mesh(result.mesh, format, job.output);
  log("write", 1.0);
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
  cmd->add_option("--method", args.method,
                  "how: " + alternatives(generator_names()) + " (default inflate)");
  cmd->add_option("--size-mm", args.size_mm, "longest side of the printed object (default 100)");
  cmd->add_option("--resolution", args.resolution,
                  "grid cells along the longest side (default: the method's)");
  cmd->add_option("-O,--option", args.options,
                  "one of the method's own options, NAME=VALUE (repeatable; e.g. depth=0.6 for "
                  "inflate, steps=30 or seed=7 for hunyuan3d; `orfeas methods` lists them)")
      ->allow_extra_args(false);
  cmd->add_option("--max-batch", args.max_batch,
                  "most photos generated at once (hunyuan3d runs them as one batch)")
      ->check(CLI::Range(1, 256))
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
  PhotoToMeshOptions options;
  try {
    format = chosen_format(args);
    options.method = args.method;
    options.generator_options = given_generator_options(args);
    options.printable.target_faces = static_cast<std::size_t>(args.faces);
    resolve_photo_to_mesh_options(options);  // bad options fail before any directory is made
    jobs = plan_jobs(args, format);
  } catch (const Error& e) {
    fail("", e.message());
    return exit_code(e.code());
  }

  int status = 0;
  const auto failed = [&status](const Job& job, std::string_view what, int code) {
    fail(job.image.string() + ": ", std::string(what));
    if (status == 0) status = code;
  };
  nlohmann::json reports = nlohmann::json::array();
  const auto group_size = static_cast<std::size_t>(args.max_batch);
  for (std::size_t first = 0; first < jobs.size(); first += group_size) {
    const std::span<const Job> group =
        std::span(jobs).subspan(first, std::min(group_size, jobs.size() - first));
    std::vector<fs::path> photos;
    std::vector<StageLog> logs;
    for (const Job& job : group) {
      photos.push_back(job.image);
      logs.emplace_back(job.image.string(), args.quiet);
    }
    const std::vector<PhotoMesh> results = photos_to_meshes(
        photos, options,
        [&logs](std::size_t i, std::string_view stage, double fraction) {
          logs[i](stage, fraction);
        },
        CancelToken());
    for (std::size_t k = 0; k < group.size(); ++k) {
      if (const auto* error = std::get_if<Error>(&results[k])) {
        failed(group[k], error->message(), exit_code(error->code()));
        continue;
      }
      try {
        reports.push_back(
            write_result(group[k], std::get<PrintableMesh>(results[k]), args, format, logs[k]));
      } catch (const Error& e) {
        failed(group[k], e.message(), exit_code(e.code()));
      } catch (const std::exception& e) {
        failed(group[k], std::string("internal error: ") + e.what(), 1);
      }
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
