"""The image conditioner against hy3dgen: ImageProcessorV2 (photo -> 512 image on white) and
DinoImageEncoder (its input transform and the DINOv2 model), on synthetic images and tiny random
encoders of both kinds (GELU MLP as in DINOv2-large, SwiGLU as in the giant one).

The processor works on 8-bit pixels with cv2's resizes, which we reproduce rather than call: its
outputs are compared in levels, allowing the one-level differences cv2's float rounding leaves on
a few pixels (measured with OpenCV 5.0: none in the recentred image, 1 to 9 pixels in a million of
the 512 image). Everything after it is compared at the usual float tolerance (measured: equal)."""
import numpy as np
import pytest
import torch
from PIL import Image

from conftest import DEVICE, DTYPE, assert_parity, run_probe
from hy3dgen.shapegen.models.conditioner import DinoImageEncoder
from hy3dgen.shapegen.preprocessors import ImageProcessorV2

# Tiny encoders shaped like the released ones: patch 14, eps 1e-6, qkv bias, a stored position
# grid of 2 x 2 patches.
ENCODERS = {
    "giant_like": dict(config=dict(hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
                                   image_size=28, patch_size=14, layer_norm_eps=1e-6,
                                   use_swiglu_ffn=True),
                       image_size=28),
    "large_like": dict(config=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                   image_size=28, patch_size=14, layer_norm_eps=1e-6,
                                   hidden_act="gelu", use_swiglu_ffn=False),
                       image_size=28),
    # A 3 x 3 grid from the stored 2 x 2 one (interpolated position embeddings), no class token.
    "interpolated_no_cls": dict(config=dict(hidden_size=32, num_hidden_layers=2,
                                            num_attention_heads=2, image_size=28, patch_size=14,
                                            mlp_ratio=2),
                                image_size=42, use_cls_token=False),
}

# transformers >= 5 renamed DINOv2's tensors and split the SwiGLU input projection; the released
# checkpoints (and so our loader) use the transformers 4 names.
RENAMES = (("attention.q_proj.", "attention.attention.query."),
           ("attention.k_proj.", "attention.attention.key."),
           ("attention.v_proj.", "attention.attention.value."),
           ("attention.o_proj.", "attention.output.dense."),
           ("mlp.down_proj.", "mlp.weights_out."))


def released_state_dict(encoder):
    """The encoder's state_dict under the names of the released Hunyuan3D-2 checkpoints."""
    state = {}
    for name, tensor in encoder.state_dict().items():
        if ".mlp.up_proj." in name:
            continue
        if ".mlp.gate_proj." in name:
            up = encoder.state_dict()[name.replace("gate_proj", "up_proj")]
            name, tensor = name.replace("gate_proj", "weights_in"), torch.cat([tensor, up], 0)
        for new, old in RENAMES:
            name = name.replace(new, old)
        state[name] = tensor
    return state


def make_encoder(kwargs):
    """The official encoder with every tensor random (identity norms and unit layer scales would
    hide misnamed tensors)."""
    encoder = DinoImageEncoder(**kwargs)
    with torch.no_grad():
        for name, tensor in encoder.named_parameters():
            base = 1.0 if ("norm" in name and name.endswith("weight")) or "lambda1" in name else 0.0
            tensor.copy_(base + 0.2 * torch.randn_like(tensor))
    return encoder


@pytest.mark.parametrize("image_shape", [(2, 3, 40, 40), (2, 3, 36, 50)])
@pytest.mark.parametrize("name", ENCODERS)
def test_dino_image_encoder(name, image_shape):
    kwargs = ENCODERS[name]
    encoder = make_encoder(kwargs)
    image = torch.rand(image_shape) * 2 - 1
    ours = run_probe("dino_image_encoder", kwargs, released_state_dict(encoder), {"image": image})
    encoder = encoder.to(DEVICE, DTYPE)
    with torch.no_grad():
        x = image.to(DEVICE, DTYPE)
        assert_parity(ours["pixels"], encoder.transform((x + 1) / 2))
        assert_parity(ours["condition"], encoder(x))
        reference = encoder.unconditional_embedding(image_shape[0])
        assert ours["unconditional"].shape == reference.shape
        assert ours["unconditional"].dtype == reference.dtype
        assert not ours["unconditional"].any()


def synthetic_rgba(height, width, seed, soft_edge, channels=4):
    """An object over a transparent background: a tilted ellipse with a colour gradient and a
    little noise, its alpha edge hard or blurred over `soft_edge` pixels."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    cy, cx = height * rng.uniform(0.3, 0.7), width * rng.uniform(0.3, 0.7)
    ry, rx = height * rng.uniform(0.1, 0.4), width * rng.uniform(0.1, 0.4)
    angle = rng.uniform(0, np.pi)
    u = ((x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)) / rx
    v = (-(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)) / ry
    distance = (np.sqrt(u * u + v * v) - 1) * min(rx, ry)  # ~ pixels outside the edge
    alpha = np.clip(0.5 - distance / max(soft_edge, 1e-9), 0, 1) if soft_edge else distance <= 0
    rgb = np.stack([x / width * 255, y / height * 255, (x + y) / (width + height) * 255], -1)
    rgb = np.clip(rgb + rng.normal(0, 20, rgb.shape), 0, 255)
    rgba = np.concatenate([rgb, alpha[..., None] * 255], -1).round().astype(np.uint8)
    return rgba[..., :channels]


# (height, width, seed, soft edge in pixels, channels): objects smaller and larger than the
# 85% square they are scaled to (area resampling enlarges or shrinks), hard and soft alpha,
# an RGB photo taken as opaque, pictures smaller and larger than the 512 output.
IMAGES = {
    "small_object_hard_edge": (300, 200, 1, 0, 4),
    "large_object_soft_edge": (700, 560, 2, 6, 4),
    "wide_soft_edge": (240, 420, 3, 3, 4),
    "opaque_rgb": (180, 240, 4, 0, 3),
}


def level_differences(ours, ref):
    difference = (ours.to(torch.int32) - ref.to(torch.int32)).abs()
    return difference.max().item(), (difference > 0).float().mean().item()


@pytest.mark.parametrize("name", IMAGES)
def test_image_processor(name):
    height, width, seed, soft_edge, channels = IMAGES[name]
    rgba = synthetic_rgba(height, width, seed, soft_edge, channels)
    ours = run_probe("image_processor", {"size": 512, "border_ratio": 0.15}, {},
                     {"rgba": torch.from_numpy(rgba)})

    rgb, mask = ImageProcessorV2.recenter(np.array(Image.fromarray(rgba).convert("RGBA")), 0.15)
    worst, share = level_differences(ours["recentred_rgb"], torch.from_numpy(rgb))
    assert worst <= 1 and share < 1e-3, f"recentred image: {worst} levels on {share:.2e}"
    assert torch.equal(ours["recentred_mask"], torch.from_numpy(mask[..., 0]))

    reference = ImageProcessorV2(size=512, border_ratio=0.15)(Image.fromarray(rgba))
    to_levels = lambda t: ((t + 1) / 2 * 255).round()  # exact: [-1, 1] values come from levels
    worst, share = level_differences(to_levels(ours["image"]), to_levels(reference["image"]))
    assert worst <= 1 and share < 1e-3, f"512 image: {worst} levels on {share:.2e}"
    assert torch.equal(ours["mask"], reference["mask"])
