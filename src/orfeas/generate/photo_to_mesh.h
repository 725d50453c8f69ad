// The whole flow for one photo: imaging → generator → printable mesh. The CLI calls it per image;
// the job service calls the same stages, batching the generator step.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "orfeas/core/progress.h"
#include "orfeas/mesh/printable.h"

namespace orfeas {

struct PhotoToMeshOptions {
  std::string method = "inflate";
  nlohmann::json generator_options = nlohmann::json::object();  // resolution, size_mm, ...
  PrintableOptions printable;  // its size_mm is taken from generator_options
};

// Reports stages "prepare", "field" and "mesh". Throws Error: kBadInput / kTooLarge for bad images
// or options, kCancelled when `cancel` fires between stages.
PrintableMesh photo_to_mesh(std::span<const std::uint8_t> image_bytes,
                            const PhotoToMeshOptions& options, const ProgressFn& progress,
                            const CancelToken& cancel);

}  // namespace orfeas
