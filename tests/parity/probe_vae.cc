// Probes of the ShapeVAE decoder and the volume decoders (test_vae.py). Every probe builds the
// whole ShapeVae from the official ShapeVAE state_dict (config: its params), so each also checks
// that every tensor is taken.
#include <vector>

#include "orfeas/neural/shape_vae.h"
#include "orfeas/neural/volume_decoding.h"
#include "probe.h"

namespace orfeas::neural::parity {
namespace {

ShapeVae load_vae(const ProbeCall& call) {
  return ShapeVae(call.weights, VaeConfig::from_json(call.config));
}

// options: {"bounds", "num_chunks", "mc_level"}, official defaults when absent.
VolumeDecodingOptions volume_options(const ProbeCall& call) {
  VolumeDecodingOptions options;
  options.bounds = call.options.value("bounds", 1.01);
  options.num_chunks = call.options.value("num_chunks", int64_t{10000});
  options.mc_level = call.options.value("mc_level", 0.0);
  return options;
}

// input "latents" [B, num_latents, embed_dim]; outputs "tokens" (ShapeVAE.forward) and "decoded"
// (forward of latents / scale_factor, as the pipeline decodes).
const ProbeRegistration kShapeVae("shape_vae", [](const ProbeCall& call) -> TensorList {
  const ShapeVae vae = load_vae(call);
  const at::Tensor& latents = call.input("latents");
  return {{"tokens", vae.forward(latents)}, {"decoded", vae.decode(latents)}};
});

// inputs "tokens" [B, num_latents, width], "queries" [B, P, 3]; output "logits" [B, P, 1], the
// queries decoded in chunks of options "num_chunks" with keys and values computed once.
const ProbeRegistration kGeoDecoder("vae_geo_decoder", [](const ProbeCall& call) -> TensorList {
  const ShapeVae vae = load_vae(call);
  const GeometryDecoder& decoder = vae.geo_decoder();
  const at::Tensor& queries = call.input("queries");
  const LatentKeysValues keys_values = decoder.keys_values(call.input("tokens"));
  const int64_t chunk = call.options.value("num_chunks", queries.size(1));
  std::vector<at::Tensor> logits;
  for (int64_t start = 0; start < queries.size(1); start += chunk) {
    logits.push_back(decoder.forward(queries.slice(1, start, start + chunk), keys_values));
  }
  return {{"logits", at::cat(logits, 1)}};
});

// input "tokens"; options "octree_resolution" and volume_options; output "grid" [B, R+1, R+1, R+1].
const ProbeRegistration kDenseVolume("vae_dense_volume", [](const ProbeCall& call) -> TensorList {
  const ShapeVae vae = load_vae(call);
  return {
      {"grid", decode_dense_volume(vae.geo_decoder(), call.input("tokens"),
                                   call.options.at("octree_resolution"), volume_options(call))}};
});

// input "tokens"; options "octree_resolution", "min_resolution", "schedule" ("hierarchical" or
// "flashvdm", then "mini_grid_num") and volume_options; output "grid" (NaN where not decoded).
const ProbeRegistration kHierarchicalVolume(
    "vae_hierarchical_volume", [](const ProbeCall& call) -> TensorList {
      const ShapeVae vae = load_vae(call);
      const int64_t octree = call.options.at("octree_resolution");
      const int64_t min_resolution = call.options.value("min_resolution", int64_t{63});
      const std::vector<int64_t> resolutions =
          call.options.value("schedule", "hierarchical") == "flashvdm"
              ? flashvdm_resolutions(octree, min_resolution,
                                     call.options.value("mini_grid_num", int64_t{4}))
              : hierarchical_resolutions(octree, min_resolution);
      return {{"grid", decode_hierarchical_volume(vae.geo_decoder(), call.input("tokens"),
                                                  resolutions, volume_options(call))}};
    });

}  // namespace
}  // namespace orfeas::neural::parity
