// The Generator interface: what every method of turning a photo into a solid implements. The
// scheduler knows nothing of what a generator does inside; it groups inputs whose options give
// equal batch keys and hands them over together.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/core/field.h"
#include "orfeas/core/progress.h"
#include "orfeas/generate/option_spec.h"
#include "orfeas/imaging/cutout.h"

namespace orfeas {

// Options every generator takes: the grid resolution along the object's longest side and the
// printed size (generators use it to keep parts printable).
inline constexpr OptionSpec kResolutionOption{
    "resolution", 16, 512, 192, true, "grid cells along the object's longest side"};
inline constexpr OptionSpec kSizeOption{
    "size_mm", 1, 2000, 100, false, "longest side of the printed object in millimetres"};

struct GeneratorInput {
  Cutout cutout;            // the object on white, with its mask
  nlohmann::json options;   // as given by the caller; validated by the generator
};

class Generator {
 public:
  virtual ~Generator() = default;

  virtual std::string_view name() const = 0;
  virtual std::span<const OptionSpec> option_specs() const = 0;

  // Options with defaults filled in; throws Error{kBadInput} for invalid ones.
  nlohmann::json resolve(const nlohmann::json& options) const {
    return resolve_options(option_specs(), options);
  }
  nlohmann::json schema() const { return options_schema(option_specs()); }

  // Inputs whose resolved options give equal keys may be generated in one batch.
  virtual std::string batch_key(const nlohmann::json& resolved_options) const = 0;

  // One closed Field per input, in order. Reports stage "field" progress over the whole batch and
  // checks `cancel` between inputs (Error{kCancelled}). Throws Error{kBadInput} for invalid
  // options.
  virtual std::vector<Field> generate(std::span<const GeneratorInput> inputs,
                                      const ProgressFn& progress,
                                      const CancelToken& cancel) const = 0;
};

}  // namespace orfeas

namespace orfeas {

// A generator that handles one image at a time (the classical ones): batches are generated input
// by input, any two inputs may share a batch.
class SingleImageGenerator : public Generator {
 public:
  std::string batch_key(const nlohmann::json&) const override { return std::string(name()); }
  std::vector<Field> generate(std::span<const GeneratorInput> inputs, const ProgressFn& progress,
                              const CancelToken& cancel) const override;

 protected:
  virtual Field generate_one(const Cutout& cutout, const nlohmann::json& resolved_options) const = 0;
};

}  // namespace orfeas
