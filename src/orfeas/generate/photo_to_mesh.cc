#include "orfeas/generate/photo_to_mesh.h"

#include <utility>

#include "orfeas/generate/registry.h"
#include "orfeas/imaging/cutout.h"
#include "orfeas/imaging/decode.h"

namespace orfeas {

nlohmann::json resolve_photo_to_mesh_options(const PhotoToMeshOptions& options) {
  return find_generator(options.method).resolve(options.generator_options);
}

std::vector<PhotoMesh> photos_to_meshes(std::span<const std::filesystem::path> photos,
                                        const PhotoToMeshOptions& options,
                                        const PhotoProgressFn& progress,
                                        const CancelToken& cancel) {
  const Generator& generator = find_generator(options.method);
  const nlohmann::json resolved = generator.resolve(options.generator_options);
  const auto tell = [&progress](std::size_t i, std::string_view stage, double fraction) {
    if (progress) progress(i, stage, fraction);
  };
  std::vector<PhotoMesh> results(
      photos.size(), Error(ErrorCode::kInternal, "the generator returned no field for the photo"));

  std::vector<std::size_t> prepared;  // the photos the generator gets, in order
  std::vector<GeneratorInput> inputs;
  for (std::size_t i = 0; i < photos.size(); ++i) {
    record_errors(results, std::span(&i, 1), [&] {
      tell(i, "prepare", 0.0);
      cancel.throw_if_cancelled();
      inputs.push_back({prepare_image(read_file_bytes(photos[i])), resolved});
      prepared.push_back(i);
      tell(i, "prepare", 1.0);
    });
  }
  if (inputs.empty()) return results;

  std::vector<Field> fields;
  record_errors(results, prepared, [&] {
    fields = generator.generate(
        inputs,
        [&](std::string_view stage, double fraction) {
          for (std::size_t i : prepared) tell(i, stage, fraction);
        },
        cancel);
  });
  if (fields.size() != inputs.size()) return results;  // failed: the results say why
  inputs.clear();  // the pictures are no longer needed; the meshes are

  PrintableOptions printable = options.printable;
  printable.size_mm = resolved["size_mm"].get<double>();
  for (std::size_t k = 0; k < prepared.size(); ++k) {
    const std::size_t i = prepared[k];
    record_errors(results, std::span(&i, 1), [&] {
      cancel.throw_if_cancelled();
      results[i] = make_printable(fields[k], printable,
                                  [&](std::string_view stage, double f) { tell(i, stage, f); });
      fields[k] = Field();  // its memory is not needed past its mesh
    });
  }
  return results;
}

}  // namespace orfeas
