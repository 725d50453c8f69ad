"""Loading a full-size checkpoint in the released layout: hunyuan3d-dit-v2-0 (the DiT, the
DINOv2-giant conditioner and the VAE in one float16 file) must load with every tensor taken.

The names and shapes come from the official modules built on the meta device (no memory), with
the conditioner's tensors under the transformers 4 names the released file uses. The file is a
real safetensors file whose data is all zeros, written sparse (the header, then a hole), so the
4.9 GB checkpoint costs neither time nor disk; our loader maps it and, asked for the file's own
dtype on the CPU, keeps every tensor a view of the mapping."""
import json
import pathlib
import shutil
import struct

import torch
import yaml
from safetensors import safe_open

from conftest import run_probe
from test_dino import released_state_dict
from hy3dgen.shapegen.models import Hunyuan3DDiT, ShapeVAE, SingleImageEncoder

RELEASED_CONFIG = pathlib.Path(__file__).parents[1] / "data" / "neural" / "hunyuan3d-dit-v2-0.yaml"


def released_shapes(config):
    """Every tensor name of the released checkpoint with its shape, in the official modules'
    order."""
    with torch.device("meta"):
        model = Hunyuan3DDiT(**config["model"]["params"])
        vae = ShapeVAE(**config["vae"]["params"])
        conditioner = SingleImageEncoder(**config["conditioner"]["params"])
    shapes = {}
    for prefix, state in (("model.", model.state_dict()), ("vae.", vae.state_dict()),
                          ("conditioner.main_image_encoder.",
                           released_state_dict(conditioner.main_image_encoder))):
        for name, tensor in state.items():
            shapes[prefix + name] = list(tensor.shape)
    return shapes


def write_sparse_float16_safetensors(path, shapes):
    """A safetensors file of float16 zeros with these tensors: the header, then a hole."""
    header, offset = {}, 0
    for name, shape in shapes.items():
        size = 2 * int(torch.Size(shape).numel())
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # keep the data 8-byte aligned
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(encoded)))
        file.write(encoded)
        file.truncate(8 + len(encoded) + offset)
    return offset


def test_full_size_v2_0_checkpoint_loads_taking_every_tensor(tmp_path):
    config = yaml.safe_load(RELEASED_CONFIG.read_text())
    shapes = released_shapes(config)
    directory = tmp_path / "hunyuan3d-dit-v2-0"
    directory.mkdir()
    shutil.copy(RELEASED_CONFIG, directory / "config.yaml")
    try:
        data_bytes = write_sparse_float16_safetensors(directory / "model.fp16.safetensors", shapes)
        assert data_bytes > 4.5e9  # 2.46 billion float16 parameters
        with safe_open(str(directory / "model.fp16.safetensors"), "pt") as file:  # valid for them
            assert set(file.keys()) == set(shapes)
        ours = run_probe("load_model", {}, {}, {}, {"model_dir": str(directory)})
        assert ours["num_latents"].item() == 3072
        assert ours["condition_tokens"].item() == 1370
        assert ours["dit_blocks"].item() == 16 + 32
    finally:
        shutil.rmtree(directory)
