#!/usr/bin/env python3
"""Our marching cubes against scikit-image's (Lewiner) on the same float32 field.

Writes each field to a raw file, times `marching_cubes_bench` (ours) and
`skimage.measure.marching_cubes(method="lewiner")` on it, best of N each, and prints both times,
triangle counts and the speed ratio.

    cmake --build build --target marching_cubes_bench
    python3 bench/marching_cubes_vs_skimage.py --bench build/bench/marching_cubes_bench
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import skimage
from skimage.measure import marching_cubes


def metaballs(n):
    """A smooth blob of twelve metaballs, positive inside, well inside the grid."""
    rng = np.random.default_rng(7)
    z, y, x = np.ogrid[0:n, 0:n, 0:n]
    field = np.zeros((n, n, n), np.float32)
    for _ in range(12):
        cx, cy, cz = rng.uniform(0.3, 0.7, 3) * n
        radius = rng.uniform(0.07, 0.14) * n
        d2 = ((x - cx) ** 2).astype(np.float32) + ((y - cy) ** 2).astype(np.float32)
        d2 = d2 + ((z - cz) ** 2).astype(np.float32)
        field += np.float32(radius * radius) / (d2 + np.float32(1.0))
    field -= np.float32(1.0)
    return field


def gyroid_ball(n):
    """A gyroid sheet (period n / 8) clipped to a ball: much more surface than the blob."""
    t = np.linspace(0.0, 16.0 * np.pi, n, dtype=np.float32)
    z, y, x = np.meshgrid(t, t, t, indexing="ij", sparse=True)
    g = np.sin(x) * np.cos(y) + np.sin(y) * np.cos(z) + np.sin(z) * np.cos(x)
    sheet = np.float32(0.5) - np.abs(g)
    c = np.float32((n - 1) / 2)
    i = np.arange(n, dtype=np.float32) - c
    zz, yy, xx = np.meshgrid(i, i, i, indexing="ij", sparse=True)
    ball = (np.float32(0.45 * n) - np.sqrt(xx * xx + yy * yy + zz * zz)) / np.float32(n / 8)
    return np.minimum(sheet, ball).astype(np.float32)


SHAPES = {"metaballs": metaballs, "gyroid": gyroid_ball}


def time_skimage(field, repeat):
    best, faces = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        _, faces, _, _ = marching_cubes(field, level=0.0, method="lewiner")
        best = min(best, time.perf_counter() - start)
    return best, len(faces)


def time_ours(bench, path, n, repeat, threads):
    out = subprocess.run(
        [bench, path, str(n), str(n), str(n), "--threads", str(threads), "--repeat", str(repeat)],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cpu_name():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default="build/bench/marching_cubes_bench",
                        help="path to the built marching_cubes_bench")
    parser.add_argument("--size", type=int, default=385, help="samples per side")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; the best counts")
    parser.add_argument("--threads", type=int, default=0, help="our threads, 0 = one per core")
    parser.add_argument("--shapes", default="metaballs,gyroid", help=",".join(SHAPES))
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"{args.bench} not found; build it with "
                 "`cmake --build build --target marching_cubes_bench`")

    n = args.size
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; "
          f"scikit-image {skimage.__version__}, numpy {np.__version__}")
    print(f"field: {n}^3 float32, iso 0, best of {args.repeat}")
    for shape in args.shapes.split(","):
        field = SHAPES[shape](n)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f"{shape}.f32")
            field.tofile(path)  # x fastest, as orfeas::Field
            ours = time_ours(args.bench, path, n, args.repeat, args.threads)
            single = time_ours(args.bench, path, n, args.repeat, 1)
        theirs, their_triangles = time_skimage(field, args.repeat)
        print(f"{shape:>10}: orfeas {ours['best_s']:.3f} s ({ours['threads']} threads; "
              f"{single['best_s']:.3f} s on 1), {ours['triangles']} triangles | "
              f"skimage lewiner {theirs:.3f} s, {their_triangles} triangles | "
              f"orfeas is {theirs / ours['best_s']:.1f}x faster")
    build_dir = os.path.dirname(os.path.dirname(args.bench)) or "."
    print(f"reproduce: cmake --build {build_dir} --target marching_cubes_bench && "
          f"python3 bench/marching_cubes_vs_skimage.py --bench {args.bench} --size {n} "
          f"--repeat {args.repeat} --threads {args.threads} --shapes {args.shapes}")


if __name__ == "__main__":
    main()
