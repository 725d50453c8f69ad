#include "orfeas/generate/generator.h"

namespace orfeas {

std::vector<Field> SingleImageGenerator::generate(std::span<const GeneratorInput> inputs,
                                                  const ProgressFn& progress,
                                                  const CancelToken& cancel) const {
  std::vector<nlohmann::json> resolved;
  resolved.reserve(inputs.size());
  for (const GeneratorInput& input : inputs) resolved.push_back(resolve(input.options));

  std::vector<Field> fields;
  fields.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    cancel.throw_if_cancelled();
    report(progress, "field", double(i) / inputs.size());
    fields.push_back(generate_one(inputs[i].cutout, resolved[i]));
  }
  report(progress, "field", 1.0);
  return fields;
}

}  // namespace orfeas
