// The whole flow for a group of photos with one method: imaging → generator (once for the group,
// so that a batching generator such as hunyuan3d runs them as one batch) → printable meshes. The
// CLI calls it per group of --max-batch photos; the job service runs the same stages itself
// (jobs/mesh_job_runner.h), with per-job options and cancellation.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"
#include "orfeas/core/progress.h"
#include "orfeas/mesh/printable.h"

namespace orfeas {

struct PhotoToMeshOptions {
  std::string method = "inflate";
  // The options given (resolution, size_mm, the method's own); the generator defaults the rest.
  nlohmann::json generator_options = nlohmann::json::object();
  PrintableOptions printable;  // its size_mm is taken from the resolved generator options
};

// The method's options with defaults filled in. Throws Error{kBadInput} for an unknown method or a
// bad option, naming it, and Error{kUnavailable} for a method this build lacks.
nlohmann::json resolve_photo_to_mesh_options(const PhotoToMeshOptions& options);

// Progress of photo `photo` (its index in the group); may be empty.
using PhotoProgressFn =
    std::function<void(std::size_t photo, std::string_view stage, double fraction)>;

// A photo's mesh, or why it has none.
using PhotoMesh = std::variant<PrintableMesh, Error>;

// One result per photo, in order. Stages: "prepare" and "mesh" per photo, "field" reported to
// every photo the generator serves. A photo fails alone when it cannot be read or is not a usable
// image (kBadInput, kTooLarge); a generator that throws fails every photo it was given; a fired
// `cancel` fails the photos not finished with kCancelled. Throws (before reading any photo) what
// resolve_photo_to_mesh_options throws.
std::vector<PhotoMesh> photos_to_meshes(std::span<const std::filesystem::path> photos,
                                        const PhotoToMeshOptions& options,
                                        const PhotoProgressFn& progress, const CancelToken& cancel);

}  // namespace orfeas
