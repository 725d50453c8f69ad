#include "orfeas/jobs/mesh_job_runner.h"

#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <system_error>
#include <utility>

#include "orfeas/export/mesh_writer.h"
#include "orfeas/generate/registry.h"
#include "orfeas/imaging/cutout.h"
#include "orfeas/jobs/mesh_job_options.h"

namespace orfeas {
namespace {

std::vector<std::uint8_t> read_input(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(ErrorCode::kInternal, "cannot open the job's input " + path.string());
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                  std::istreambuf_iterator<char>());
  if (file.bad()) throw Error(ErrorCode::kInternal, "cannot read the job's input " + path.string());
  return bytes;
}

// The jobs of one method, prepared for its generator.
struct MethodGroup {
  std::vector<std::size_t> jobs;  // indices into the batch
  std::vector<GeneratorInput> inputs;
};

}  // namespace

MeshJobRunner::MeshJobRunner(std::filesystem::path data_dir, PrintableOptions printable)
    : data_dir_(std::move(data_dir)), printable_(printable) {}

std::vector<JobOutcome> MeshJobRunner::run(std::span<const Job> batch,
                                           const BatchProgressFn& progress,
                                           std::span<const CancelToken* const> cancel) {
  std::vector<JobOutcome> outcomes(
      batch.size(), Error(ErrorCode::kInternal, "the generator returned no field for the job"));
  std::map<std::string, MethodGroup> groups;
  std::vector<std::size_t> faces(batch.size(), printable_.target_faces);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    record_errors(outcomes, std::span(&i, 1), [&] {
      progress(i, "prepare", 0);
      MeshJobOptions options =
          MeshJobOptions::from_stored(batch[i].method, batch[i].options, batch[i].priority);
      faces[i] = options.faces;
      Cutout cutout = prepare_image(read_input(data_dir_ / batch[i].input_path));
      cancel[i]->throw_if_cancelled();
      MethodGroup& group = groups[batch[i].method];
      group.jobs.push_back(i);
      group.inputs.push_back({std::move(cutout), std::move(options.generator_options)});
      progress(i, "prepare", 1);
    });
  }

  std::filesystem::path results = data_dir_ / "results";
  for (auto& entry : groups) {  // not a structured binding: lambdas capture it
    const std::string& method = entry.first;
    MethodGroup& group = entry.second;
    std::vector<Field> fields;
    CancelToken all_cancelled;
    ProgressFn field_progress = [&](std::string_view stage, double fraction) {
      bool every_job_cancelled = true;
      for (std::size_t i : group.jobs) {
        progress(i, stage, fraction);
        every_job_cancelled = every_job_cancelled && cancel[i]->cancelled();
      }
      if (every_job_cancelled) all_cancelled.cancel();
    };
    record_errors(outcomes, group.jobs, [&] {
      fields = find_generator(method).generate(group.inputs, field_progress, all_cancelled);
    });
    if (fields.size() != group.inputs.size()) continue;  // failed: the outcomes say why
    for (std::size_t k = 0; k < group.jobs.size(); ++k) {
      std::size_t i = group.jobs[k];
      record_errors(outcomes, std::span(&i, 1), [&] {
        cancel[i]->throw_if_cancelled();
        PrintableOptions printable = printable_;
        printable.size_mm = group.inputs[k].options["size_mm"].get<double>();
        printable.target_faces = faces[i];
        PrintableMesh mesh = make_printable(
            fields[k], printable,
            [&](std::string_view stage, double fraction) { progress(i, stage, fraction); });
        std::filesystem::create_directories(results);
        std::string name = batch[i].id + ".ply";
        write_mesh(mesh.mesh, MeshFormat::kPly, results / name);
        outcomes[i] = JobResult{"results/" + name, mesh.report.to_json()};
      });
    }
  }

  return outcomes;
}

void MeshJobRunner::discard(const JobResult& result) {
  std::error_code ignored;
  std::filesystem::remove(data_dir_ / result.result_path, ignored);
}

}  // namespace orfeas
