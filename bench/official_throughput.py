"""Shape throughput of our pipeline (orfeas_neural_throughput) against the official hy3dgen one,
on the same random-weight model, pictures and seeds, in one run:

  1. builds the official v2-0 modules (DiT, DINOv2-giant conditioner, VAE) with random weights on
     the device, in float16 as released, and writes them as a released model directory
     (config.yaml + model.fp16.safetensors, conditioner tensors under transformers 4 names);
  2. runs orfeas_neural_throughput on that directory at --batches, with each of --decoders (dense,
     and near-surface hierarchical decoding on FlashVDM's resolutions); it times each run stage by
     stage and saves latents and strided grids;
  3. runs the official Hunyuan3DDiTFlowMatchingPipeline.__call__ (one call with the list of the
     batch's pictures, one torch.Generator per picture, output_type="latent") and then what its
     _export does up to marching cubes (VAE, VanillaVolumeDecoder; and, for the hierarchical
     comparison, FlashVDMVolumeDecoding with exact attention on the same latents), at
     --official-batches;
  4. compares ours with the official results job by job and prints one table.

As initialised, the random geometry decoder's logits lie within +-1 nearly everywhere (82 % of
the samples of a v2-0 grid under 0.95 in magnitude, the threshold below which hierarchical
decoding refines a sample whatever its neighbours), so hierarchical decoding would refine almost
every sample; it presumes a field far from zero away from the surface, as a trained one is. The
model is therefore written with the decoder's output layer scaled by --logit-scale (default 10:
about 9 % of the samples under 0.95), the same weights on both sides. Dense decoding costs the
same whatever the scale; the outputs are compared relative to their own scale.

Timings run from pictures to grids on the device, after a warm-up of two steps at batch 1 (grid
resolution 64) on each side; surface extraction is left out on both. The comparison's yardstick
is the official pipeline against itself: job 0 run in a batch of 4 against alone differs only by
float rounding (kernel choice depends on the row count); ours must be within a few times that.
Hierarchical decoding leaves the samples away from the surface undecoded (we give NaN, FlashVDM
-10000): ours is compared with the official FlashVDM grid where both decoded, against the scale
of its decoded samples, and the two must have decoded the same samples (on at least 99.9 % of
the grid: in float16 a logit at one of the refinement thresholds may round either way). Throughput
is set against the official pipeline as released, which decodes densely.

  python3 bench/official_throughput.py --bench build/tests/parity/orfeas_neural_throughput \
      --work /tmp/orfeas_bench --out results/       # the GPU check (H100, float16)
  python3 bench/official_throughput.py --bench ... --work ... --out ... --smoke   # CPU, tiny
"""
import argparse
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
import types

import numpy as np
import torch
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
UNDECODED_BELOW = -9000.0  # FlashVDM marks the samples it did not decode with -10000
MIN_MASK_AGREEMENT = 0.999  # the share of samples both sides decoded, or both left
RELEASED_CONFIG = ROOT / "tests" / "data" / "neural" / "hunyuan3d-dit-v2-0.yaml"

# The smoke test's model: the released config's shape, tiny.
SMOKE_CONFIG = {
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
    "scheduler": {"target": "hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler",
                  "params": {"num_train_timesteps": 1000}},
    "image_processor": {"target": "hy3dgen.shapegen.preprocessors.ImageProcessorV2",
                        "params": {"size": 32, "border_ratio": 0.15}},
}

# transformers >= 5 renamed DINOv2's tensors and split the SwiGLU input projection; released
# checkpoints use the transformers 4 names: (transformers 5, released).
DINO_RENAMES = (("attention.q_proj.", "attention.attention.query."),
                ("attention.k_proj.", "attention.attention.key."),
                ("attention.v_proj.", "attention.attention.value."),
                ("attention.o_proj.", "attention.output.dense."),
                ("mlp.down_proj.", "mlp.weights_out."))


def log(message):
    print(message, flush=True)


def import_hy3dgen():
    """hy3dgen's modules without its package __init__ (gradio-era imports), and its pipeline
    module without trimesh where that is missing (only mesh export uses it)."""
    spec = importlib.util.find_spec("hy3dgen")
    package_dir = pathlib.Path(list(spec.submodule_search_locations)[0])
    for name, path in (("hy3dgen", package_dir), ("hy3dgen.shapegen", package_dir / "shapegen")):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [str(path)]
            sys.modules[name] = module
    try:
        import trimesh
    except ImportError:
        trimesh = types.ModuleType("trimesh")
        sys.modules["trimesh"] = trimesh
    if not hasattr(trimesh, "Trimesh"):  # named in the pipeline's annotations
        trimesh.Trimesh = type("Trimesh", (), {})
    from hy3dgen.shapegen import pipelines, preprocessors, schedulers
    from hy3dgen.shapegen.models import Hunyuan3DDiT, ShapeVAE, SingleImageEncoder
    from hy3dgen.shapegen.models.autoencoders.attention_processors import CrossAttentionProcessor
    from hy3dgen.shapegen.models.autoencoders.volume_decoders import FlashVDMVolumeDecoding
    return types.SimpleNamespace(
        Hunyuan3DDiT=Hunyuan3DDiT, ShapeVAE=ShapeVAE, SingleImageEncoder=SingleImageEncoder,
        CrossAttentionProcessor=CrossAttentionProcessor,
        FlashVDMVolumeDecoding=FlashVDMVolumeDecoding,
        Pipeline=pipelines.Hunyuan3DDiTFlowMatchingPipeline,
        ImageProcessorV2=preprocessors.ImageProcessorV2,
        Scheduler=schedulers.FlowMatchEulerDiscreteScheduler)


def released_dino_state(encoder):
    state = {}
    full = encoder.state_dict()
    for name, tensor in full.items():
        if ".mlp.up_proj." in name:
            continue
        if ".mlp.gate_proj." in name:
            up = full[name.replace("gate_proj", "up_proj")]
            name, tensor = name.replace("gate_proj", "weights_in"), torch.cat([tensor, up], 0)
        for new, old in DINO_RENAMES:
            name = name.replace(new, old)
        state[name] = tensor
    return state


def build_modules(hy, config, device, dtype, logit_scale):
    """The official modules with their own random initialisation, made on `device`, with float16
    values (the released file's precision) held in `dtype`; the geometry decoder's output layer
    is scaled by `logit_scale` (see --logit-scale)."""
    torch.manual_seed(0)
    with torch.device(device):
        modules = (hy.Hunyuan3DDiT(**config["model"]["params"]),
                   hy.ShapeVAE(**config["vae"]["params"]),
                   hy.SingleImageEncoder(**config["conditioner"]["params"]))
    output_proj = modules[1].geo_decoder.output_proj
    with torch.no_grad():
        output_proj.weight.mul_(logit_scale)
        output_proj.bias.mul_(logit_scale)
    for module in modules:
        module.to(torch.float16).to(dtype).eval().requires_grad_(False)
    return modules


def write_model_directory(directory, config, model, vae, conditioner):
    from safetensors.torch import save_file
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    tensors = {}
    for prefix, state in (("model.", model.state_dict()), ("vae.", vae.state_dict()),
                          ("conditioner.main_image_encoder.",
                           released_dino_state(conditioner.main_image_encoder))):
        for name, tensor in state.items():
            tensors[prefix + name] = tensor.detach().to("cpu", torch.float16).contiguous()
    save_file(tensors, str(directory / "model.fp16.safetensors"))
    return sum(t.numel() for t in tensors.values())


def pictures(count, size):
    """Synthetic RGBA photos of an object: a tilted ellipse with a colour gradient and noise on a
    transparent background."""
    result = []
    for seed in range(count):
        rng = np.random.default_rng(seed)
        y, x = np.mgrid[0:size, 0:size].astype(np.float64)
        cy, cx = size * rng.uniform(0.35, 0.65, 2)
        ry, rx = size * rng.uniform(0.15, 0.4, 2)
        angle = rng.uniform(0, np.pi)
        u = ((x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)) / rx
        v = (-(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)) / ry
        alpha = (u * u + v * v <= 1) * 255.0
        rgb = np.stack([x / size * 255, y / size * 255, (x + y) / (2 * size) * 255], -1)
        rgb = np.clip(rgb + rng.normal(0, 20, rgb.shape), 0, 255)
        result.append(np.concatenate([rgb, alpha[..., None]], -1).round().astype(np.uint8))
    return result


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def official_run(hy, pipeline, images, steps, guidance, octree, min_resolution, device, decoders):
    """Hunyuan3DDiTFlowMatchingPipeline.__call__ on the pictures (seed i for picture i), then its
    _export's VAE and volume decoding, with each of `decoders`: "dense" is the pipeline's own
    VanillaVolumeDecoder, "hierarchical" FlashVDMVolumeDecoding with exact attention (the plain
    cross-attention processor, not its adaptive KV selection), one latent set at a time as it
    runs. Returns the latents, the seconds the sampling took, and for each decoder its grids
    (undecoded samples at FlashVDM's -10000) and the seconds the VAE and it took."""
    from PIL import Image
    generators = [torch.Generator().manual_seed(i) for i in range(len(images))]
    grids, decode_seconds = {}, {}
    with torch.no_grad():
        begun = time.perf_counter()
        latents = pipeline([Image.fromarray(p) for p in images], num_inference_steps=steps,
                           guidance_scale=guidance, generator=generators, output_type="latent",
                           enable_pbar=False)
        synchronize(device)
        sample_seconds = time.perf_counter() - begun
        for decoder in decoders:
            begun = time.perf_counter()
            tokens = pipeline.vae(1.0 / pipeline.vae.scale_factor * latents)
            if decoder == "dense":
                grids[decoder] = pipeline.vae.volume_decoder(
                    tokens, pipeline.vae.geo_decoder, bounds=1.01, num_chunks=8000,
                    octree_resolution=octree, enable_pbar=False)
            else:
                flashvdm = hy.FlashVDMVolumeDecoding()
                flashvdm.processor = hy.CrossAttentionProcessor()
                grids[decoder] = torch.cat([
                    flashvdm(tokens[b:b + 1], pipeline.vae.geo_decoder, bounds=1.01,
                             mc_level=0.0, octree_resolution=octree, min_resolution=min_resolution,
                             mini_grid_num=4, enable_pbar=False)
                    for b in range(tokens.shape[0])])
            synchronize(device)
            decode_seconds[decoder] = time.perf_counter() - begun
    return latents, sample_seconds, grids, decode_seconds


def relative_error(ours, ref):
    ours, ref = ours.double(), ref.double()
    return ((ours - ref).abs().max() / ref.abs().max().clamp_min(1e-12)).item()


def compare_grids(ours, ref):
    """Ours (NaN where undecoded) against an official grid (-10000 where undecoded): the largest
    difference where both decoded, over ref's largest decoded magnitude; the share of samples
    decoded; the share whose decoded-or-not agrees; the share of both-decoded samples whose
    sign agrees."""
    ours, ref = ours.double(), ref.double()
    decoded, ref_decoded = ~torch.isnan(ours), ref > UNDECODED_BELOW
    both = decoded & ref_decoded
    scale = ref[ref_decoded].abs().max().clamp_min(1e-12)
    return {"grid_error": ((ours - ref)[both].abs().max() / scale).item() if both.any() else
            float("inf"),
            "grid_decoded": decoded.double().mean().item(),
            "grid_mask_agreement": (decoded == ref_decoded).double().mean().item(),
            "grid_sign_agreement": (torch.sign(ours[both]) ==
                                    torch.sign(ref[both])).double().mean().item()}


def run_ours(args, model_dir, images_file, out_dir):
    command = [args.bench, "--model", str(model_dir), "--images", str(images_file), "--out",
               str(out_dir), "--device", args.device, "--dtype", args.dtype, "--batches",
               ",".join(map(str, args.batches)), "--decoders", ",".join(args.decoders),
               "--steps", str(args.steps), "--guidance",
               str(args.guidance), "--octree", str(args.octree), "--min-resolution",
               str(args.min_resolution), "--grid-stride",
               str(args.grid_stride)]
    log("$ " + " ".join(command))
    results = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:  # echoed as it comes: a run cut short still shows its part
            log(line.rstrip())
            if line.startswith("{"):
                results.append(json.loads(line))
    if process.returncode != 0:
        raise SystemExit(f"orfeas_neural_throughput exited {process.returncode}")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", required=True, help="the orfeas_neural_throughput binary")
    parser.add_argument("--work", required=True,
                        help="scratch directory (the model, pictures, our outputs)")
    parser.add_argument("--out", required=True, help="results directory")
    parser.add_argument("--smoke", action="store_true",
                        help="CPU, float32, a tiny model, 2 steps: checks the script itself")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--dtype", default="float16")
    parser.add_argument("--batches", default="1,4,8")
    parser.add_argument("--official-batches", default="1,4")
    parser.add_argument("--decoders", default="dense,hierarchical",
                        help="the volume decoders to time on both sides")
    parser.add_argument("--logit-scale", type=float, default=10.0,
                        help="scales the random geometry decoder's output layer (both sides)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--guidance", type=float, default=5.0)
    parser.add_argument("--octree", type=int, default=384)
    parser.add_argument("--min-resolution", type=int, default=63,
                        help="hierarchical decoding's coarsest resolution, at least (FlashVDM's)")
    parser.add_argument("--grid-stride", type=int, default=4)
    args = parser.parse_args()
    if args.smoke:
        # Three hierarchical levels (15, 30, 60) on a 65^3 grid.
        args.device, args.dtype, args.steps, args.octree, args.min_resolution = (
            "cpu", "float32", 2, 64, 16)
        args.batches, args.official_batches, args.grid_stride = "1,2", "1,2", 1
    args.batches = [int(b) for b in args.batches.split(",")]
    args.official_batches = [int(b) for b in args.official_batches.split(",")]
    args.decoders = args.decoders.split(",")
    if not args.decoders or not set(args.decoders) <= {"dense", "hierarchical"}:
        parser.error(f"--decoders takes dense and hierarchical, not {','.join(args.decoders)}")
    dtype = {"float32": torch.float32, "float16": torch.float16,
             "bfloat16": torch.bfloat16}[args.dtype]
    work, out = pathlib.Path(args.work), pathlib.Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    hy = import_hy3dgen()
    config = SMOKE_CONFIG if args.smoke else yaml.safe_load(RELEASED_CONFIG.read_text())
    model, vae, conditioner = build_modules(hy, config, args.device, dtype, args.logit_scale)
    synchronize(args.device)
    model_dir = work / ("smoke-model" if args.smoke else "hunyuan3d-dit-v2-0-random")
    parameters = write_model_directory(model_dir, config, model, vae, conditioner)
    log(f"random model (decoder output layer x{args.logit_scale:g}): {parameters / 1e9:.3f} "
        f"billion parameters written to {model_dir} ({time.perf_counter() - started:.1f} s)")

    from safetensors.torch import load_file, save_file
    size = 64 if args.smoke else 512
    images = pictures(max(args.batches + args.official_batches), size)
    images_file = work / "pictures.safetensors"
    save_file({f"image{i}": torch.from_numpy(p) for i, p in enumerate(images)}, str(images_file))

    ours = run_ours(args, model_dir, images_file, work / "ours")
    shutil.rmtree(model_dir)  # the official modules are still in memory

    pipeline = hy.Pipeline(vae=vae, model=model, scheduler=hy.Scheduler(
        **config["scheduler"]["params"]), conditioner=conditioner,
        image_processor=hy.ImageProcessorV2(**config["image_processor"]["params"]),
        device=args.device, dtype=dtype)
    official_run(hy, pipeline, images[:1], 2, args.guidance, min(64, args.octree),
                 args.min_resolution, args.device, args.decoders)  # warm-up, as ours
    official = []
    references = {}  # (decoder, batch) -> (latents, strided grids)
    stride = args.grid_stride
    for batch in args.official_batches:
        if args.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        latents, sample_seconds, grids, decode_seconds = official_run(
            hy, pipeline, images[:batch], args.steps, args.guidance, args.octree,
            args.min_resolution, args.device, args.decoders)
        peak = torch.cuda.max_memory_allocated() if args.device == "cuda" else 0
        for decoder in args.decoders:
            grid = grids[decoder][:, ::stride, ::stride, ::stride].float().cpu()
            references[decoder, batch] = (latents.float().cpu(), grid)
            seconds = sample_seconds + decode_seconds[decoder]
            official.append({
                "decoder": decoder, "batch": batch, "seconds": seconds,
                "shapes_per_second": batch / seconds, "sample_seconds": sample_seconds,
                "decode_seconds": decode_seconds[decoder],
                "decoded_fraction": (grids[decoder] > UNDECODED_BELOW).float().mean().item(),
                "peak_bytes": peak})
            log(json.dumps({"official": official[-1]}))

    # Job j's reference: the smallest official batch that ran it, with the same decoder.
    def reference(decoder, job):
        batch = min(b for b in args.official_batches if b > job)
        return references[decoder, batch]

    first, second = sorted(args.official_batches)[:2] if len(args.official_batches) > 1 else (
        args.official_batches[0], args.official_batches[0])
    floor = {"float32": 1e-4, "float16": 5e-2, "bfloat16": 2e-1}[args.dtype]
    # The yardstick, decoder by decoder: the official pipeline against itself, job 0 run in the
    # second batch against the first (its own rounding).
    official_self = {}
    for decoder in args.decoders:
        (latents_2, grids_2), (latents_1, grids_1) = (references[decoder, second],
                                                      references[decoder, first])
        official_self[decoder] = {
            "latents": relative_error(latents_2[0], latents_1[0]),
            "grid": compare_grids(torch.where(grids_2[0] > UNDECODED_BELOW, grids_2[0], torch.nan),
                                  grids_1[0])["grid_error"]}
    comparisons = []
    runs = [r for r in ours if "batch" in r]
    for run in runs:
        decoder = run["decoder"]
        saved = load_file(str(work / "ours" / f"ours_{decoder}_b{run['batch']}.safetensors"))
        for job in range(min(run["batch"], max(args.official_batches))):
            ref_latents, ref_grids = reference(decoder, job)
            c = {"decoder": decoder, "batch": run["batch"], "job": job,
                 "latents_error": relative_error(saved["latents"][job], ref_latents[job]),
                 **compare_grids(saved["grid"][job], ref_grids[job])}
            c["equal"] = (
                c["latents_error"] <= max(4 * official_self[decoder]["latents"], floor) and
                c["grid_error"] <= max(4 * official_self[decoder]["grid"], floor) and
                c["grid_mask_agreement"] >= MIN_MASK_AGREEMENT)
            comparisons.append(c)
    passed = all(c["equal"] for c in comparisons)

    base = official[0]
    rows = [("official", r) for r in official] + [("ours", r) for r in runs]
    table = [f"| implementation | decoder | batch | seconds | shapes/s | vs official "
             f"{base['decoder']} batch {base['batch']} | DiT s | decode s | decoded | peak GiB |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in rows:
        table.append(f"| {name} | {r['decoder']} | {r['batch']} | {r['seconds']:.2f} | "
                     f"{r['shapes_per_second']:.3f} | "
                     f"{r['shapes_per_second'] / base['shapes_per_second']:.2f}x | "
                     f"{r['sample_seconds']:.2f} | {r['decode_seconds']:.2f} | "
                     f"{100 * r['decoded_fraction']:.1f} % | {r['peak_bytes'] / 2**30:.1f} |")
    summary = {
        "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "dtype": args.dtype, "steps": args.steps, "guidance": args.guidance,
        "logit_scale": args.logit_scale,
        "octree_resolution": args.octree, "min_resolution": args.min_resolution,
        "official": official, "ours": ours, "official_self_error": official_self,
        "comparisons": comparisons, "equal_within_tolerance": passed}
    (out / "throughput.json").write_text(json.dumps(summary, indent=1))
    (out / "throughput.md").write_text("\n".join(table) + "\n")
    log("\n".join(table))
    for decoder in args.decoders:
        mine = [c for c in comparisons if c["decoder"] == decoder]
        log(f"{decoder}: worst relative error ours vs official: latents "
            f"{max(c['latents_error'] for c in mine):.2e}, grid "
            f"{max(c['grid_error'] for c in mine):.2e}; decoded or not, agreeing on at least "
            f"{100 * min(c['grid_mask_agreement'] for c in mine):.3f} % of the samples; official "
            f"batch {second} vs batch {first} (its own rounding): latents "
            f"{official_self[decoder]['latents']:.2e}, grid {official_self[decoder]['grid']:.2e} "
            f"-> {'EQUAL' if all(c['equal'] for c in mine) else 'DIFFERENT'}")
    log(f"(limits: 4x the official's own error, at least {floor:g}; the decoded samples the same "
        f"on {100 * MIN_MASK_AGREEMENT:.1f} % of the grid)")
    official_at = {(r["decoder"], r["batch"]): r["shapes_per_second"] for r in official}
    for r in runs:
        against = [f"{r['shapes_per_second'] / official_at[d, r['batch']]:.2f}x the official {d}"
                   for d in args.decoders if (d, r["batch"]) in official_at]
        if against:
            log(f"ours ({r['decoder']}) at batch {r['batch']}: {', '.join(against)}, at the "
                f"same batch")
    log(f"total {time.perf_counter() - started:.1f} s")
    return 0 if passed else 3


if __name__ == "__main__":
    sys.exit(main())
