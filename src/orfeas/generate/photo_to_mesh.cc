#include "orfeas/generate/photo_to_mesh.h"

#include "orfeas/generate/registry.h"
#include "orfeas/imaging/cutout.h"

namespace orfeas {

PrintableMesh photo_to_mesh(std::span<const std::uint8_t> image_bytes,
                            const PhotoToMeshOptions& options, const ProgressFn& progress,
                            const CancelToken& cancel) {
  const Generator& generator = find_generator(options.method);
  const nlohmann::json resolved = generator.resolve(options.generator_options);

  report(progress, "prepare", 0.0);
  std::vector<GeneratorInput> inputs{{prepare_image(image_bytes), resolved}};
  report(progress, "prepare", 1.0);
  cancel.throw_if_cancelled();

  const std::vector<Field> fields = generator.generate(inputs, progress, cancel);
  cancel.throw_if_cancelled();

  PrintableOptions printable = options.printable;
  printable.size_mm = resolved["size_mm"].get<double>();
  return make_printable(fields.front(), printable, progress);
}

}  // namespace orfeas
