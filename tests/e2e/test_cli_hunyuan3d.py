"""`orfeas generate --method hunyuan3d` end to end, on the CPU, with the neural engine's tiny
random-weight model (written in the released layout by write_tiny_hunyuan3d_model): the model found
through ORFEAS_HUNYUAN3D_MODEL, its own options given with -O, several photos run as one batch."""
import json
import os
import re
import subprocess

import pytest

from conftest import ORFEAS

STEPS = ["-O", "steps=2", "--resolution", 16]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The default model, and a second one beside it that jobs may pick with -O model=NAME."""
    models = tmp_path_factory.mktemp("tiny")
    for name in ["hunyuan3d-dit-v2-0", "hunyuan3d-dit-second"]:
        subprocess.run([os.environ["ORFEAS_WRITE_TINY_MODEL"], str(models / name)], check=True,
                       timeout=120)
    return models / "hunyuan3d-dit-v2-0"


@pytest.fixture
def hunyuan3d(model):
    env = dict(os.environ, ORFEAS_HUNYUAN3D_MODEL=str(model), ORFEAS_HUNYUAN3D_DEVICE="cpu")

    def _run(*args, check=True):
        proc = subprocess.run([ORFEAS, "generate", *map(str, args), "--method", "hunyuan3d"],
                              capture_output=True, text=True, timeout=300, env=env)
        if check and proc.returncode != 0:
            raise AssertionError(f"orfeas {args} exited {proc.returncode}: {proc.stderr}")
        return proc

    return _run


def stages(stderr):
    """The stage of each progress line, in order."""
    return [line.split(": ")[1].split()[0] for line in stderr.splitlines()
            if not line.startswith("orfeas: error")]


def test_a_photo_becomes_a_closed_mesh(hunyuan3d, duck, tmp_path):
    out, report = tmp_path / "duck.stl", tmp_path / "duck.json"
    proc = hunyuan3d(duck, "-o", out, *STEPS, "-O", "seed=3", "--size-mm", 40, "--report", report)
    assert stages(proc.stderr) == ["prepare", "field", "mesh", "write"]
    entry = json.loads(report.read_text())
    assert entry["method"] == "hunyuan3d"
    assert entry["closed"] and entry["manifold"]
    assert max(entry["bbox_mm"]) == pytest.approx(40, rel=1e-3)
    assert out.stat().st_size == 84 + 50 * entry["triangles"]  # binary STL


def test_photos_in_one_batch_give_what_each_gives_alone(hunyuan3d, duck, tmp_path):
    alone = tmp_path / "alone.json"
    hunyuan3d(duck, "-o", tmp_path / "alone.stl", *STEPS, "-O", "seed=3", "--report", alone, "-q")
    batch = tmp_path / "batch.json"
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(duck.read_bytes())
    proc = hunyuan3d(duck, bad, copy, "-o", tmp_path / "batch", *STEPS, "-O", "seed=3",
                     "--max-batch", 3, "--report", batch, check=False)
    assert proc.returncode == 2 and "bad.png" in proc.stderr
    order = stages(proc.stderr)
    assert order.index("field") > max(i for i, s in enumerate(order) if s == "prepare")
    expected = json.loads(alone.read_text())
    entries = json.loads(batch.read_text())
    assert [e["image"] for e in entries] == [str(duck), str(copy)]
    for entry in entries:
        assert entry["closed"]
        assert entry["volume_mm3"] == pytest.approx(expected["volume_mm3"], rel=1e-3)


def test_a_model_beside_the_default_is_picked_by_name(hunyuan3d, duck, tmp_path):
    report = tmp_path / "second.json"
    hunyuan3d(duck, "-o", tmp_path / "second.stl", *STEPS, "-O", "model=hunyuan3d-dit-second",
              "--report", report, "-q")
    assert json.loads(report.read_text())["closed"]
    proc = hunyuan3d(duck, "-o", tmp_path / "o.stl", *STEPS, "-O", "model=hunyuan3d-dit-v9",
                     check=False)
    assert proc.returncode == 2
    assert "must be hunyuan3d-dit-v2-0 or hunyuan3d-dit-second" in proc.stderr


@pytest.mark.parametrize("args", [["-O", "steps=0"], ["-O", "depth=0.5"], ["-O", "guidance=x"],
                                  ["-O", "model=../hunyuan3d-dit-second"]])
def test_its_bad_options_are_caller_errors(hunyuan3d, duck, tmp_path, args):
    proc = hunyuan3d(duck, "-o", tmp_path / "o.stl", *args, check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.stl").exists()


def test_methods_lists_it_with_the_official_defaults():
    listed = json.loads(subprocess.run([ORFEAS, "methods", "--json"], capture_output=True,
                                       text=True, check=True).stdout)["generators"]
    options = next(g for g in listed if g["name"] == "hunyuan3d")["options"]["properties"]
    assert options["resolution"]["default"] == 384
    assert options["steps"]["default"] == 50
    assert options["guidance"]["default"] == 5


def test_a_terminal_sees_the_sampling_steps_go_by(model, duck, tmp_path):
    """On a terminal the field stage shows its share done after each step; piped, it does not."""
    import pty

    controller, terminal = pty.openpty()
    env = dict(os.environ, ORFEAS_HUNYUAN3D_MODEL=str(model), ORFEAS_HUNYUAN3D_DEVICE="cpu")
    proc = subprocess.run([ORFEAS, "generate", str(duck), "-o", str(tmp_path / "o.stl"),
                           "--method", "hunyuan3d", "-O", "steps=4", "--resolution", "16"],
                          stdout=subprocess.DEVNULL, stderr=terminal, env=env, timeout=300)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal's other end is closed: all read
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert proc.returncode == 0
    text = shown.decode()
    under_way = re.findall(r"\r\x1b\[K[^\r]*: field +(\d+) %", text)
    assert len(under_way) >= 3 and under_way == sorted(under_way, key=int), text
    assert "\r\x1b[K" + str(duck) + ": field " in text  # the completion line overwrites them
