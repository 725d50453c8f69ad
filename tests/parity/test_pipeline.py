"""The whole pipeline, image to field, against hy3dgen's Hunyuan3DDiTFlowMatchingPipeline on tiny
random models written in the released layout (a model directory with config.yaml and
model.fp16.safetensors bundling model., vae. and conditioner. tensors).

The official side is the pipeline's own __call__ (image processor, conditioner, CFG sampling loop,
seeded noise from one generator per image) up to its latents, then what its _export does with them:
the VAE and the volume decoder. Our side loads the directory and runs every stage batched.

The pictures are 32 x 32, the processor's size, so its final bicubic resize is a copy on both
sides: cv2's float sums differ from ours by one level on rare pixels (test_dino.py measures that),
which would otherwise make an end-to-end comparison depend on luck."""
import sys
import types

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from conftest import DEVICE, DTYPE, DTYPE_NAME, TOLERANCES, assert_parity, run_probe
from test_dino import released_state_dict, synthetic_rgba
from test_vae import assert_grids_match

if "trimesh" not in sys.modules:
    try:
        import trimesh  # noqa: F401  (the pipeline module imports it for mesh export only)
    except ImportError:
        sys.modules["trimesh"] = types.ModuleType("trimesh")
if not hasattr(sys.modules["trimesh"], "Trimesh"):  # named in the pipeline's annotations
    sys.modules["trimesh"].Trimesh = type("Trimesh", (), {})

from hy3dgen.shapegen.models import Hunyuan3DDiT, ShapeVAE, SingleImageEncoder  # noqa: E402
from hy3dgen.shapegen.models.autoencoders.attention_processors import \
    CrossAttentionProcessor  # noqa: E402
from hy3dgen.shapegen.models.autoencoders.volume_decoders import (  # noqa: E402
    FlashVDMVolumeDecoding, VanillaVolumeDecoder)
from hy3dgen.shapegen.pipelines import Hunyuan3DDiTFlowMatchingPipeline  # noqa: E402
from hy3dgen.shapegen.preprocessors import ImageProcessorV2  # noqa: E402
from hy3dgen.shapegen.schedulers import (  # noqa: E402
    ConsistencyFlowMatchEulerDiscreteScheduler, FlowMatchEulerDiscreteScheduler)

PLAIN = "hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler"
CONSISTENCY = "hy3dgen.shapegen.schedulers.ConsistencyFlowMatchEulerDiscreteScheduler"

# The released v2-0 config's shape, tiny: DINOv2 with SwiGLU on 28-pixel images (5 tokens),
# a DiT of two blocks of each kind, a VAE of 32 latents with qk-norm and no qkv bias.
TINY_CONFIG = {
    "model": {"target": "hy3dgen.shapegen.models.Hunyuan3DDiT",
              "params": {"in_channels": 8, "context_in_dim": 48, "hidden_size": 32,
                         "mlp_ratio": 4.0, "num_heads": 4, "depth": 2, "depth_single_blocks": 2,
                         "axes_dim": [8], "theta": 10000, "qkv_bias": True}},
    "vae": {"target": "hy3dgen.shapegen.models.ShapeVAE",
            "params": {"num_latents": 32, "embed_dim": 8, "num_freqs": 8, "include_pi": False,
                       "heads": 4, "width": 64, "num_decoder_layers": 2, "qkv_bias": False,
                       "qk_norm": True, "scale_factor": 0.9990943042622529}},
    "conditioner": {"target": "hy3dgen.shapegen.models.SingleImageEncoder",
                    "params": {"main_image_encoder": {
                        "type": "DinoImageEncoder",
                        "kwargs": {"config": {"hidden_size": 48, "num_hidden_layers": 2,
                                              "num_attention_heads": 4, "image_size": 28,
                                              "patch_size": 14, "layer_norm_eps": 1e-6,
                                              "use_swiglu_ffn": True},
                                   "image_size": 28}}}},
    "scheduler": {"target": PLAIN, "params": {"num_train_timesteps": 1000}},
    "image_processor": {"target": "hy3dgen.shapegen.preprocessors.ImageProcessorV2",
                        "params": {"size": 32, "border_ratio": 0.15}},
}

# The guidance-distilled variant (hunyuan3d-dit-v2-0-turbo's shape).
TURBO_CONFIG = {**TINY_CONFIG,
                "model": {**TINY_CONFIG["model"],
                          "params": {**TINY_CONFIG["model"]["params"], "guidance_embed": True}},
                "scheduler": {"target": CONSISTENCY, "params": {"num_train_timesteps": 1000,
                                                                "pcm_timesteps": 100}}}

# A chain of DiT steps rounds at every step and guidance scales the rounding of the conditional
# minus the unconditional velocity by the guidance scale: in half precision the end-to-end
# error is some times that of one module. float32 keeps the engine's parity target.
PIPELINE_TOLERANCES = {"float32": TOLERANCES["float32"], "float16": 5e-2, "bfloat16": 2e-1}


def randomize(module):
    """Every parameter random (identity norms, zero biases and unit layer scales would hide
    misnamed tensors), rounded to float16 so that the float16 checkpoint holds them exactly."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn_like(p) / p[0].numel() ** 0.5)
            elif name.endswith(("weight", "scale", "lambda1")):  # norms and layer scales
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.1 * torch.randn_like(p))
            p.copy_(p.half().float())
    return module.eval()


def official_modules(config):
    torch.manual_seed(0)
    model = randomize(Hunyuan3DDiT(**config["model"]["params"]))
    vae = randomize(ShapeVAE(**config["vae"]["params"]))
    conditioner = randomize(SingleImageEncoder(**config["conditioner"]["params"]))
    return model, vae, conditioner


def write_model_directory(directory, config, model, vae, conditioner):
    """config.yaml and model.fp16.safetensors as the released repositories lay them out."""
    from safetensors.torch import save_file
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    tensors = {}
    for prefix, state in (("model.", model.state_dict()), ("vae.", vae.state_dict()),
                          ("conditioner.main_image_encoder.",
                           released_state_dict(conditioner.main_image_encoder))):
        for name, tensor in state.items():
            tensors[prefix + name] = tensor.detach().to(torch.float16).contiguous().clone()
    save_file(tensors, str(directory / "model.fp16.safetensors"))


def official_pipeline(config, model, vae, conditioner):
    scheduler_class = (ConsistencyFlowMatchEulerDiscreteScheduler
                       if config["scheduler"]["target"] == CONSISTENCY
                       else FlowMatchEulerDiscreteScheduler)
    return Hunyuan3DDiTFlowMatchingPipeline(
        vae=vae, model=model, scheduler=scheduler_class(**config["scheduler"]["params"]),
        conditioner=conditioner, image_processor=ImageProcessorV2(
            **config["image_processor"]["params"]),
        device=DEVICE, dtype=DTYPE)


def official_run(pipeline, pictures, seeds, steps, guidance_scale, octree_resolution, decoder):
    """What Hunyuan3DDiTFlowMatchingPipeline.__call__ computes for `pictures`, to the grid its
    _export hands to marching cubes."""
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    with torch.no_grad():
        latents = pipeline([Image.fromarray(p) for p in pictures], num_inference_steps=steps,
                           guidance_scale=guidance_scale, generator=generators,
                           output_type="latent", enable_pbar=False)
        tokens = pipeline.vae(1.0 / pipeline.vae.scale_factor * latents)
        if decoder == "dense":
            grid = VanillaVolumeDecoder()(tokens, pipeline.vae.geo_decoder, bounds=1.01,
                                          num_chunks=1000, octree_resolution=octree_resolution,
                                          enable_pbar=False)
        else:  # FlashVDM's schedule with exact attention, one latent set at a time as it runs
            grids = []
            for b in range(tokens.shape[0]):
                flashvdm = FlashVDMVolumeDecoding()
                flashvdm.processor = CrossAttentionProcessor()
                grids.append(flashvdm(tokens[b:b + 1], pipeline.vae.geo_decoder, bounds=1.01,
                                      num_chunks=1000, mc_level=0.0,
                                      octree_resolution=octree_resolution, min_resolution=8,
                                      mini_grid_num=4, enable_pbar=False).float())
            grid = torch.cat(grids)
    return latents, grid


def pictures(count):
    return [synthetic_rgba(32, 32, seed, soft_edge=seed % 2 * 2) for seed in range(count)]


def run_ours(model_dir, images, seeds, steps, guidance_scale, octree_resolution, decoder):
    options = {"model_dir": str(model_dir), "seeds": seeds, "steps": steps,
               "guidance_scale": guidance_scale, "octree_resolution": octree_resolution,
               "num_chunks": 1000, "hierarchical": decoder == "hierarchical",
               "min_resolution": 8, "mini_grid_num": 4}
    inputs = {f"image{i}": torch.from_numpy(image) for i, image in enumerate(images)}
    return run_probe("pipeline", {}, {}, inputs, options)


CASES = {
    # name: config, steps, guidance scale, octree resolution, volume decoder
    "v2_0_cfg_dense": (TINY_CONFIG, 4, 5.0, 16, "dense"),
    "v2_0_turbo_distilled": (TURBO_CONFIG, 3, 5.0, 12, "dense"),
    "v2_0_hierarchical": (TINY_CONFIG, 2, 5.0, 32, "hierarchical"),
}


@pytest.mark.parametrize("case", CASES)
def test_pipeline_image_to_field(case, tmp_path):
    config, steps, guidance_scale, octree_resolution, decoder = CASES[case]
    modules = official_modules(config)
    write_model_directory(tmp_path / "model", config, *modules)
    images, seeds = pictures(2), [1234, 5]

    ours = run_ours(tmp_path / "model", images, seeds, steps, guidance_scale, octree_resolution,
                    decoder)
    pipeline = official_pipeline(config, *modules)
    reference = pipeline.prepare_image([Image.fromarray(p) for p in images])
    assert torch.equal(ours["processed"], reference["image"])
    latents, grid = official_run(pipeline, images, seeds, steps, guidance_scale,
                                 octree_resolution, decoder)
    tol = PIPELINE_TOLERANCES[DTYPE_NAME]
    assert_parity(ours["latents"], latents, tol)
    assert ours["grid"].dtype == torch.float32
    if decoder == "dense":
        assert_parity(ours["grid"], grid, tol)
    else:
        assert_grids_match(ours["grid"], grid)


def relative_difference(ours, ref):
    """max|ours - ref| / max(1, max|ref|): the measure assert_parity bounds."""
    ours, ref = ours.double().cpu(), ref.double().cpu()
    return ((ours - ref).abs().max() / ref.abs().max().clamp_min(1.0)).item()


def test_a_batch_equals_its_images_run_alone(tmp_path):
    """Each job of a batch equals the job run alone: within the pipeline's tolerance, or within
    4x the official pipeline's own batch-against-alone difference on this device if that is
    larger. On a GPU the matrix kernels are chosen by row count, so a batch rounds otherwise than
    its rows alone, in the official pipeline as in ours, and the sampling loop carries the
    rounding from step to step; on the CPU the official difference is float rounding (under
    1e-6) and the pipeline's tolerance holds."""
    config = TINY_CONFIG
    modules = official_modules(config)
    write_model_directory(tmp_path / "model", config, *modules)
    images, seeds = pictures(3), [3, 1, 4]
    pipeline = official_pipeline(config, *modules)
    official_batched = official_run(pipeline, images, seeds, 3, 5.0, 12, "dense")
    official_difference = 0.0
    for i in range(3):
        official_alone = official_run(pipeline, images[i:i + 1], seeds[i:i + 1], 3, 5.0, 12,
                                      "dense")
        for batched, alone in zip(official_batched, official_alone):
            official_difference = max(official_difference,
                                      relative_difference(batched[i:i + 1], alone))
    tol = max(PIPELINE_TOLERANCES[DTYPE_NAME], 4 * official_difference)

    batched = run_ours(tmp_path / "model", images, seeds, 3, 5.0, 12, "dense")
    for i in range(3):
        alone = run_ours(tmp_path / "model", images[i:i + 1], seeds[i:i + 1], 3, 5.0, 12, "dense")
        for name in ("cond", "latents", "grid"):
            assert_parity(batched[name][i:i + 1], alone[name], tol)
