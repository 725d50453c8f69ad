"""`orfeas generate` end to end: real photos in, printable meshes out, checked with trimesh."""
import json

import pytest
import trimesh

from conftest import skimage_photo


def load(path):
    mesh = trimesh.load(path, force="mesh", process=False)
    # Weld by position so that formats without shared vertices (STL) can be judged for closedness.
    mesh.merge_vertices()
    return mesh


def assert_printable(path, size_mm=100.0):
    mesh = load(path)
    assert len(mesh.faces) > 100
    assert mesh.is_watertight, f"{path} is not closed"
    assert mesh.is_winding_consistent
    assert mesh.volume > 0, "triangles must face outwards"
    assert len(mesh.split(only_watertight=False)) == 1, "expected one part"
    lo, hi = mesh.bounds
    assert max(hi - lo) == pytest.approx(size_mm, rel=1e-3)
    assert lo[2] == pytest.approx(0.0, abs=1e-4), "must stand on z = 0"
    assert (lo[0] + hi[0]) / 2 == pytest.approx(0.0, abs=1e-3)
    assert (lo[1] + hi[1]) / 2 == pytest.approx(0.0, abs=1e-3)
    return mesh


def test_example_photo_gives_one_closed_part_and_a_report(run, duck, tmp_path):
    out, report = tmp_path / "duck.stl", tmp_path / "duck.json"
    proc = run("generate", duck, "-o", out, "--report", report)
    mesh = assert_printable(out)
    data = json.loads(report.read_text())
    assert data["closed"] and data["manifold"] and data["components"] == 1
    assert data["triangles"] == len(mesh.faces)
    assert data["triangles"] <= 40000 * 1.05
    assert data["volume_mm3"] == pytest.approx(mesh.volume, rel=1e-3)
    assert max(data["bbox_mm"]) == pytest.approx(100, rel=1e-3)
    assert "closed" in proc.stdout
    for stage in ("prepare", "field", "mesh", "write"):
        assert stage in proc.stderr


@pytest.mark.parametrize("photo", ["chelsea.png", "coffee.png", "rocket.jpg", "horse.png", "logo.png"])
def test_real_photos_and_drawings(run, photo, tmp_path):
    out = tmp_path / "model.stl"
    run("generate", skimage_photo(photo), "-o", out, "--size-mm", 60, "--quiet")
    assert_printable(out, size_mm=60)


def test_relief_plaque(run, tmp_path):
    out = tmp_path / "plaque.stl"
    run("generate", skimage_photo("astronaut.png"), "-o", out, "--method", "relief", "--size-mm", 80)
    mesh = assert_printable(out, size_mm=80)
    lo, hi = mesh.bounds
    assert hi[2] - lo[2] < 5, "a plaque is thin"


@pytest.mark.parametrize("fmt", ["obj", "ply", "glb", "3mf"])
def test_every_format(run, duck, fmt, tmp_path):
    out = tmp_path / f"duck.{fmt}"
    run("generate", duck, "-o", out, "--resolution", 96, "--faces", 5000, "--quiet")
    assert_printable(out)


def test_several_images_fill_a_directory(run, duck, tmp_path):
    out = tmp_path / "models"
    run("generate", duck, skimage_photo("coffee.png"), "-o", out, "--format", "ply",
        "--resolution", 64, "--quiet")
    assert sorted(p.name for p in out.iterdir()) == ["coffee.ply", "duck.ply"]


def test_quiet_prints_no_progress(run, duck, tmp_path):
    proc = run("generate", duck, "-o", tmp_path / "a.stl", "--resolution", 48, "-q")
    assert proc.stderr == ""


def test_keep_all_faces(run, duck, tmp_path):
    out, report = tmp_path / "full.stl", tmp_path / "full.json"
    run("generate", duck, "-o", out, "--resolution", 64, "--faces", 0, "--report", report, "-q")
    assert json.loads(report.read_text())["triangles"] == len(load(out).faces)


def bad_file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name,data,reason", [
    ("empty.png", b"", "not a supported image"),
    ("notes.png", b"hello, this is text\n" * 20, "not a supported image"),
    ("cut.png", None, ""),
])
def test_bad_images_are_caller_errors_and_leave_no_file(run, duck, tmp_path, name, data, reason):
    if data is None:  # a real image cut short
        data = duck.read_bytes()[:5000]
    image = bad_file(tmp_path, name, data)
    out = tmp_path / "out.stl"
    proc = run("generate", image, "-o", out, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("orfeas: error:")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_decompression_bomb_is_refused(run, tmp_path):
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body
                                + struct.pack(">I", zlib.crc32(kind + body)))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")
    proc = run("generate", bad_file(tmp_path, "bomb.png", png), "-o", tmp_path / "o.stl", check=False)
    assert proc.returncode == 2
    assert "20000" in proc.stderr


@pytest.mark.parametrize("args", [
    ["--resolution", "5"],
    ["--resolution", "abc"],
    ["--size-mm", "-3"],
    ["--faces", "-1"],
    ["--method", "magic"],
    ["--format", "dwg"],
    ["-O", "depth=thick"],
    ["-O", "depth=5"],
    ["-O", "steps=20"],
    ["-O", "depth"],
    ["--resolution", "64", "-O", "resolution=64"],
    ["--max-batch", "0"],
])
def test_bad_options_are_caller_errors(run, duck, tmp_path, args):
    out = tmp_path / "o.stl"
    proc = run("generate", duck, "-o", out, *args, check=False)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_destinations(run, duck, tmp_path):
    for out in [tmp_path / "missing" / "o.stl", tmp_path / "o.dwg", tmp_path / "noext"]:
        proc = run("generate", duck, "-o", out, check=False)
        assert proc.returncode == 2, (out, proc.stderr)
    proc = run("generate", tmp_path / "nope.png", "-o", tmp_path / "o.stl", check=False)
    assert proc.returncode == 2 and "nope.png" in proc.stderr


def test_one_bad_image_among_several_still_writes_the_good_one(run, duck, tmp_path):
    bad = bad_file(tmp_path, "bad.png", b"nope")
    out = tmp_path / "models"
    proc = run("generate", duck, bad, "-o", out, "--resolution", 48, "-q", check=False)
    assert proc.returncode == 2
    assert [p.name for p in out.iterdir()] == ["duck.stl"]


def test_a_methods_own_option_shapes_the_mesh(run, duck, tmp_path):
    volumes = {}
    for depth in ["0.3", "1.2"]:
        report = tmp_path / f"{depth}.json"
        run("generate", duck, "-o", tmp_path / f"{depth}.stl", "-O", f"depth={depth}",
            "-O", "detail_mm=0", "--resolution", 64, "--report", report, "-q")
        volumes[depth] = json.loads(report.read_text())["volume_mm3"]
    assert volumes["1.2"] > 2 * volumes["0.3"]


def test_several_images_in_one_batch(run, duck, tmp_path):
    bad = bad_file(tmp_path, "bad.png", b"nope")
    out = tmp_path / "models"
    proc = run("generate", duck, bad, skimage_photo("astronaut.png"), "-o", out,
               "--max-batch", 3, "--resolution", 48, check=False)
    assert proc.returncode == 2
    assert sorted(p.name for p in out.iterdir()) == ["astronaut.stl", "duck.stl"]
    assert_printable(out / "duck.stl")
    # One batch: every photo is prepared before the generator runs.
    stages = [line.split(": ")[1].split()[0] for line in proc.stderr.splitlines()
              if not line.startswith("orfeas: error")]
    assert stages.index("field") > max(i for i, s in enumerate(stages) if s == "prepare")
    assert "bad.png" in proc.stderr


def test_methods_lists_each_method_and_its_options(run):
    text = run("methods").stdout
    assert text.startswith("inflate\n")
    assert "relief\n" in text
    assert "  depth " in text and "default 0.8" in text
    listed = json.loads(run("methods", "--json").stdout)["generators"]
    names = [g["name"] for g in listed]
    assert names[:2] == ["inflate", "relief"]
    inflate = listed[0]["options"]["properties"]
    assert inflate["resolution"] == {"type": "integer", "minimum": 16, "maximum": 512,
                                     "default": 192, "description": inflate["resolution"]["description"]}
