// Probes of the image conditioner (test_dino.py): the official image processor's steps and the
// DINOv2 encoder with its input transform.
#include "orfeas/neural/dino_encoder.h"
#include "orfeas/neural/image_condition.h"
#include "probe.h"

namespace orfeas::neural::parity {
namespace {

// config: ImageProcessorV2's params {size, border_ratio}; input "rgba" uint8 [H, W, 3 or 4].
// Outputs: the recentred image and mask (uint8) and the processor's image and mask ([-1, 1]).
const ProbeRegistration kImageProcessor("image_processor", [](const ProbeCall& call) -> TensorList {
  const ImageProcessorConfig config = ImageProcessorConfig::from_json(call.config);
  const at::Tensor rgba = call.input("rgba").cpu();
  const RecentredImage recentred = recentre(rgba, config.border_ratio);
  const ProcessedImage processed = process_image(rgba, config);
  return {{"recentred_rgb", recentred.rgb},
          {"recentred_mask", recentred.mask},
          {"image", processed.image},
          {"mask", processed.mask}};
});

// config: DinoImageEncoder's kwargs; weights: its state_dict; input "image" [B, 3, H, W] in
// [-1, 1]. Outputs: the encoder's input ("pixels"), its condition and the unconditional one.
const ProbeRegistration kDinoImageEncoder(
    "dino_image_encoder", [](const ProbeCall& call) -> TensorList {
      const DinoConfig config = DinoConfig::from_json(call.config);
      const DinoEncoder encoder(call.weights, config);
      call.weights.expect_all_taken();
      const at::Tensor image = call.input("image");
      const at::Tensor pixels = conditioner_input(image, config, call.target);
      return {{"pixels", pixels},
              {"condition", encoder.forward(pixels)},
              {"unconditional", encoder.unconditional_embedding(image.size(0))}};
    });

}  // namespace
}  // namespace orfeas::neural::parity
