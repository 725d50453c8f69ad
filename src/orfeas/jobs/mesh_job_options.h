// What a photo-to-mesh job asks for, as a submitter gives it and as the job store keeps it.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "orfeas/export/mesh_format.h"

namespace orfeas {

// A request's options: "method" (a generator name, default "inflate"), "format" (the download's
// default mesh format, default "stl"), "faces" (target triangle count, 0 keeps all, default
// 40000), "priority" (integer in [-1000, 1000], higher runs first, default 0) and the generator's
// own options (resolution, size_mm, ...), defaulted and validated by the generator.
struct MeshJobOptions {
  std::string method = "inflate";
  nlohmann::json generator_options;  // resolved: every option of the generator present
  MeshFormat format = MeshFormat::kStl;
  std::size_t faces = 40000;
  int priority = 0;

  // From a request's JSON object (null for none). Throws Error{kBadInput} naming the option for
  // an unknown name, a wrong type or a value out of range.
  static MeshJobOptions parse(const nlohmann::json& request);
  // From what stored() returned, with the job's method and priority.
  static MeshJobOptions from_stored(const std::string& method, const nlohmann::json& stored,
                                    int priority);

  // What Job::options holds: the generator options plus "format" and "faces".
  nlohmann::json stored() const;
  // The scheduler's batch key: the generator's key for these options.
  std::string batch_key() const;
};

}  // namespace orfeas
