// A lithophane-style plaque: a flat slab whose thickness follows the photo's luminance (darker is
// thicker, so the plaque shows the picture when lit from behind), standing on a closed base.
//
// The plaque lies in the x/y plane with the picture's top towards +y, the base on z = 0. Its
// thickness is `base_mm` where the picture is white and `base_mm + relief_mm` where it is black.
#pragma once

#include "orfeas/generate/generator.h"

namespace orfeas {

class ReliefGenerator : public SingleImageGenerator {
 public:
  std::string_view name() const override { return "relief"; }
  std::span<const OptionSpec> option_specs() const override;

 protected:
  Field generate_one(const Cutout& cutout, const nlohmann::json& options) const override;
};

}  // namespace orfeas
