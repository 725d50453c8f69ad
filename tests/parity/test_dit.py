"""The DiT (hy3dgen Hunyuan3DDiT) and the flow-matching sampler against the official modules.

The sampling test runs the denoising loop of Hunyuan3DDiTFlowMatchingPipeline.__call__ written out
here from the official scheduler and DiT objects (the pipeline class needs a VAE, a conditioner and
mesh tooling that have nothing to do with sampling)."""
import numpy as np
import pytest
import torch
from diffusers.utils.torch_utils import randn_tensor

from conftest import DEVICE, DTYPE, ProbeError, assert_parity, run_probe
from hy3dgen.shapegen.models.denoisers.hunyuan3ddit import (DoubleStreamBlock, Hunyuan3DDiT,
                                                            SingleStreamBlock, timestep_embedding)
from hy3dgen.shapegen.schedulers import (ConsistencyFlowMatchEulerDiscreteScheduler,
                                         FlowMatchEulerDiscreteScheduler)

PLAIN = "hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler"
CONSISTENCY = "hy3dgen.shapegen.schedulers.ConsistencyFlowMatchEulerDiscreteScheduler"
SCHEDULERS = {PLAIN: FlowMatchEulerDiscreteScheduler,
              CONSISTENCY: ConsistencyFlowMatchEulerDiscreteScheduler}

# A tiny DiT: 4 heads of 8, two blocks of each kind.
PARAMS = {"in_channels": 8, "context_in_dim": 12, "hidden_size": 32, "mlp_ratio": 4.0,
          "num_heads": 4, "depth": 2, "depth_single_blocks": 2, "axes_dim": [8], "theta": 10000,
          "qkv_bias": True, "guidance_embed": False}


def randomized(module):
    """`module` with its RMS-norm scales (initialised to ones) drawn around one, so they matter,
    moved to DEVICE in DTYPE and put in eval mode."""
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if name.endswith(".scale"):
                parameter.normal_(1.0, 0.3)
    return module.to(DEVICE, DTYPE).eval()


def on_device(*tensors):
    return [t.to(DEVICE, DTYPE) for t in tensors]


@pytest.mark.parametrize("dim,max_period", [(256, 1000.0), (256, 10000.0), (33, 1000.0)])
def test_timestep_embedding_matches(dim, max_period):
    t = torch.tensor([0.0, 0.013, 0.5, 0.999, 1.0])
    ours = run_probe("dit_timestep_embedding",
                     {"dim": dim, "max_period": max_period, "time_factor": 1000.0}, {},
                     {"t": t})["embedding"]
    assert_parity(ours, timestep_embedding(t.to(DEVICE, DTYPE), dim, max_period))


@pytest.mark.parametrize("qkv_bias", [True, False])
def test_double_stream_block_matches(qkv_bias):
    block = randomized(DoubleStreamBlock(32, 4, mlp_ratio=4.0, qkv_bias=qkv_bias))
    img, txt, vec = torch.randn(2, 10, 32), torch.randn(2, 6, 32), torch.randn(2, 32)
    ours = run_probe("dit_double_block", {**PARAMS, "qkv_bias": qkv_bias}, block.state_dict(),
                     {"img": img, "txt": txt, "vec": vec})
    with torch.no_grad():
        ref_img, ref_txt = block(*on_device(img, txt, vec), pe=None)
    assert_parity(ours["img"], ref_img)
    assert_parity(ours["txt"], ref_txt)


def test_single_stream_block_matches():
    block = randomized(SingleStreamBlock(32, 4, mlp_ratio=4.0))
    x, vec = torch.randn(2, 16, 32), torch.randn(2, 32)
    ours = run_probe("dit_single_block", PARAMS, block.state_dict(), {"x": x, "vec": vec})["x"]
    with torch.no_grad():
        ref = block(*on_device(x, vec), pe=None)
    assert_parity(ours, ref)


def make_dit(guidance_embed):
    return randomized(Hunyuan3DDiT(**{**PARAMS, "guidance_embed": guidance_embed}))


@pytest.mark.parametrize("guidance_embed", [False, True])
def test_dit_matches(guidance_embed):
    dit = make_dit(guidance_embed)
    x, cond = torch.randn(3, 20, 8), torch.randn(3, 7, 12)
    t = torch.tensor([0.0, 0.37, 1.0])  # one timestep per row
    inputs = {"x": x, "t": t, "cond": cond}
    kwargs = {}
    if guidance_embed:
        inputs["guidance"] = torch.tensor([5.0, 1.0, 7.5])
        kwargs["guidance"] = inputs["guidance"].to(DEVICE, DTYPE)
    ours = run_probe("dit", {**PARAMS, "guidance_embed": guidance_embed}, dit.state_dict(),
                     inputs)["velocity"]
    with torch.no_grad():
        ref = dit(*on_device(x, t), {"main": cond.to(DEVICE, DTYPE)}, **kwargs)
    assert_parity(ours, ref)


def test_guidance_distilled_dit_refuses_to_run_without_guidance():
    dit = make_dit(True)
    with pytest.raises(ProbeError, match="guidance"):
        run_probe("dit", {**PARAMS, "guidance_embed": True}, dit.state_dict(),
                  {"x": torch.randn(1, 4, 8), "t": torch.zeros(1), "cond": torch.randn(1, 3, 12)})


def official_scheduler(target, params, steps):
    """The scheduler as the pipeline sets it up: set_timesteps(sigmas=linspace(0, 1, steps))."""
    scheduler = SCHEDULERS[target](**params)
    scheduler.set_timesteps(sigmas=np.linspace(0, 1, steps), device=DEVICE)
    return scheduler


SCHEDULE_CASES = [(PLAIN, {}, 1), (PLAIN, {}, 2), (PLAIN, {}, 5), (PLAIN, {}, 50),
                  (PLAIN, {"shift": 3.0}, 7), (PLAIN, {"num_train_timesteps": 800}, 9),
                  (CONSISTENCY, {}, 1), (CONSISTENCY, {}, 5), (CONSISTENCY, {}, 50),
                  (CONSISTENCY, {"pcm_timesteps": 100}, 8), (CONSISTENCY, {"pcm_timesteps": 100}, 30)]


@pytest.mark.parametrize("target,params,steps", SCHEDULE_CASES)
def test_schedule_is_the_official_one_exactly(target, params, steps):
    scheduler = official_scheduler(target, params, steps)
    sigmas = scheduler.sigmas if target == PLAIN else scheduler.sigmas_
    ours = run_probe("flow_schedule", {"scheduler": {"target": target, "params": params},
                                       "steps": steps}, {}, {})
    assert ours["timesteps"].dtype == scheduler.timesteps.dtype
    assert torch.equal(ours["timesteps"], scheduler.timesteps.cpu())
    assert torch.equal(ours["sigmas"], sigmas.cpu())
    latents = torch.zeros(1, device=DEVICE, dtype=DTYPE)
    model_timesteps = torch.cat([
        t.expand(1).to(latents.dtype) / scheduler.config.num_train_timesteps
        for t in scheduler.timesteps])
    assert torch.equal(ours["model_timesteps"], model_timesteps.cpu())


def test_consistency_schedule_refuses_more_steps_than_its_grid_as_the_official_one_fails():
    steps = 51  # pcm_timesteps 50: the first timestep repeats
    scheduler = official_scheduler(CONSISTENCY, {}, steps)
    latents = torch.zeros(1, device=DEVICE)
    with pytest.raises(IndexError):
        for t in scheduler.timesteps:
            latents = scheduler.step(torch.zeros_like(latents), t, latents).prev_sample
    with pytest.raises(ProbeError, match="steps"):
        run_probe("flow_schedule", {"scheduler": {"target": CONSISTENCY, "params": {}},
                                    "steps": steps}, {}, {})


def official_sampling(dit, scheduler, noise, cond, uncond, guidance_scale):
    """Hunyuan3DDiTFlowMatchingPipeline.__call__'s denoising loop, from its prepared latents and
    conditions to the latents it hands the VAE."""
    guidance_embed = getattr(dit, "guidance_embed", False) is True
    do_classifier_free_guidance = guidance_scale >= 0 and not guidance_embed
    contexts = {"main": torch.cat([cond, uncond]) if do_classifier_free_guidance else cond}
    guidance = None
    if guidance_embed:
        guidance = torch.tensor([guidance_scale] * noise.shape[0], device=DEVICE, dtype=DTYPE)
    latents = noise
    with torch.no_grad():
        for t in scheduler.timesteps:
            model_input = torch.cat([latents] * 2) if do_classifier_free_guidance else latents
            timestep = t.expand(model_input.shape[0]).to(latents.dtype) / \
                scheduler.config.num_train_timesteps
            velocity = dit(model_input, timestep, contexts, guidance=guidance)
            if do_classifier_free_guidance:
                velocity_cond, velocity_uncond = velocity.chunk(2)
                velocity = velocity_uncond + guidance_scale * (velocity_cond - velocity_uncond)
            latents = scheduler.step(velocity, t, latents).prev_sample
    return latents


SAMPLING_CASES = [
    # target, scheduler params, steps, guidance_embed, guidance_scale, skip_zero_length_steps
    (PLAIN, {}, 4, False, 5.0, False),
    (PLAIN, {}, 4, False, 5.0, True),
    (PLAIN, {"shift": 2.0}, 3, False, 7.5, False),
    (PLAIN, {}, 3, False, -1.0, False),
    (CONSISTENCY, {"pcm_timesteps": 100}, 3, True, 5.0, False),
]


@pytest.mark.parametrize("target,params,steps,guidance_embed,guidance_scale,skip", SAMPLING_CASES)
def test_sampling_loop_matches_the_pipeline(target, params, steps, guidance_embed, guidance_scale,
                                            skip):
    dit = make_dit(guidance_embed)
    seeds = [1234, 7, 99]
    latent_shape = [24, 8]
    cond, uncond = torch.randn(3, 5, 12), torch.randn(3, 5, 12)
    inputs = {"seeds": torch.tensor(seeds, dtype=torch.int64), "cond": cond}
    if guidance_scale >= 0 and not guidance_embed:
        inputs["uncond"] = uncond
    config = {"dit": {**PARAMS, "guidance_embed": guidance_embed},
              "scheduler": {"target": target, "params": params}, "steps": steps,
              "guidance_scale": guidance_scale, "skip_zero_length_steps": skip,
              "latent_shape": latent_shape}
    ours = run_probe("flow_sampling", config, dit.state_dict(), inputs)

    # prepare_latents with one generator per job.
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    noise = randn_tensor((3, *latent_shape), generator=generators, device=torch.device(DEVICE),
                         dtype=DTYPE)
    assert torch.equal(ours["noise"], noise.cpu())
    ref = official_sampling(dit, official_scheduler(target, params, steps), noise,
                            *on_device(cond, uncond), guidance_scale)
    assert_parity(ours["latents"], ref)
