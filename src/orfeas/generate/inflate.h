// The default generator: inflates the object's silhouette into a smooth, rounded solid.
//
// Seen from the front (looking along +y) the solid's outline is the mask. Its half-thickness is
// `depth` times the square root of a membrane inflated over the mask (the solution u of
// laplacian(u) = -4 inside, u = 0 on the outline): a disc becomes a sphere at depth 1, and each
// part is rounded according to its own width, free of the creases a distance map leaves along the
// medial axis. No part is thinner than `min_thickness_mm`. With `detail_mm` > 0 the front surface carries gentle relief
// from the photo's shading (brighter stands out), fading towards the outline.
#pragma once

#include "orfeas/generate/generator.h"

namespace orfeas {

class InflateGenerator : public SingleImageGenerator {
 public:
  std::string_view name() const override { return "inflate"; }
  std::span<const OptionSpec> option_specs() const override;

 protected:
  Field generate_one(const Cutout& cutout, const nlohmann::json& options) const override;
};

}  // namespace orfeas
