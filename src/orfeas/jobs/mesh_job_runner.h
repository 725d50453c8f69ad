// The BatchRunner of the service: each job's photo through imaging, its generator and the mesh
// stage to a binary PLY.
#pragma once

#include <filesystem>

#include "orfeas/jobs/batch_runner.h"
#include "orfeas/mesh/printable.h"

namespace orfeas {

// Each job's options are MeshJobOptions::stored(): its generator options, and the face budget
// of its mesh ("faces"). Reads each job's image from `data_dir` / job.input_path and writes its
// mesh atomically to `data_dir`/results/<job id>.ply; the result path it returns is relative to
// `data_dir`, as the input path is, and the report is the PrintReport's JSON. Stages: "prepare" per
// job, "field" (the generator, once per method over the jobs of that method), "mesh" per job.
//
// A job fails alone: a bad image or bad options fail that job (kBadInput, kTooLarge); an input
// file that cannot be read fails it with kInternal. A generator that throws fails the jobs it was
// given. A job whose token fires stops with kCancelled at the next stage boundary; the generator
// step is stopped only once every job it serves is cancelled.
class MeshJobRunner : public BatchRunner {
 public:
  // size_mm and target_faces come from each job's options; the rest of `printable` applies to
  // every job.
  explicit MeshJobRunner(std::filesystem::path data_dir, PrintableOptions printable = {});

  std::vector<JobOutcome> run(std::span<const Job> batch, const BatchProgressFn& progress,
                              std::span<const CancelToken* const> cancel) override;
  // Removes the result file.
  void discard(const JobResult& result) override;

 private:
  std::filesystem::path data_dir_;
  PrintableOptions printable_;
};

}  // namespace orfeas
