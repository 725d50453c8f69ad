#!/usr/bin/env python3
"""Renders examples/duck.jpg: a studio-style photo of a rubber duck on a white table.

The example is ours: a small sphere-traced scene of signed distance functions, shaded with a
key light, soft shadows and a little noise, so that it looks like a product photo. Re-run this
script to regenerate it (numpy and Pillow).
"""
import sys

import numpy as np
from PIL import Image

SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
OUT = sys.argv[1] if len(sys.argv) > 1 else "examples/duck.jpg"


def ellipsoid(p, c, r):
    q = (p - c) / r
    k0 = np.linalg.norm(q, axis=-1)
    k1 = np.linalg.norm(q / r, axis=-1)
    return k0 * (k0 - 1.0) / np.maximum(k1, 1e-9)


def sphere(p, c, r):
    return np.linalg.norm(p - c, axis=-1) - r


def smin(a, b, k):
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b * (1 - h) + a * h - k * h * (1 - h)


FLOOR = -0.78


def scene(p):
    """Returns (distance, material): 0 floor, 1 yellow, 2 beak, 3 eye."""
    body = ellipsoid(p, np.array([0.0, 0.0, 0.0]), np.array([1.05, 0.8, 0.78]))
    tail = ellipsoid(p, np.array([-0.95, 0.0, 0.35]), np.array([0.32, 0.3, 0.25]))
    head = sphere(p, np.array([0.55, 0.0, 0.95]), 0.5)
    duck = smin(smin(body, tail, 0.25), head, 0.3)
    beak = ellipsoid(p, np.array([1.05, 0.0, 0.86]), np.array([0.32, 0.24, 0.1]))
    eye_l = sphere(p, np.array([0.9, -0.26, 1.1]), 0.075)
    eye_r = sphere(p, np.array([0.9, 0.26, 1.1]), 0.075)
    eyes = np.minimum(eye_l, eye_r)
    floor = p[..., 2] - FLOOR
    d = np.stack([floor, duck, beak, eyes], axis=-1)
    return d.min(axis=-1), d.argmin(axis=-1)


def normal(p):
    e = 1e-3
    n = np.zeros_like(p)
    for a in range(3):
        dp = np.zeros(3)
        dp[a] = e
        n[..., a] = scene(p + dp)[0] - scene(p - dp)[0]
    return n / np.linalg.norm(n, axis=-1, keepdims=True)


def march(origin, direction, steps=160, far=30.0):
    t = np.zeros(direction.shape[:-1])
    for _ in range(steps):
        d, _ = scene(origin + direction * t[..., None])
        t = np.where(t < far, t + d * 0.9, t)
    return t


def soft_shadow(p, light, k=10.0):
    res = np.ones(p.shape[:-1])
    t = np.full(p.shape[:-1], 0.02)
    for _ in range(64):
        d, _ = scene(p + light * t[..., None])
        res = np.minimum(res, np.clip(k * d / t, 0.0, 1.0))
        t = t + np.clip(d, 0.02, 0.3)
    return res


def main():
    eye = np.array([2.6, -5.2, 1.35])
    target = np.array([0.1, 0.0, 0.15])
    forward = target - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0, 0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    fov = 0.36
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    u = (xs + 0.5) / SIZE * 2 - 1
    v = 1 - (ys + 0.5) / SIZE * 2
    rays = forward + (u[..., None] * right + v[..., None] * up) * fov
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)

    t = march(eye, rays)
    p = eye + rays * t[..., None]
    _, material = scene(p)
    n = normal(p)
    light = np.array([0.35, -0.55, 0.9])
    light /= np.linalg.norm(light)
    lambert = np.clip((n * light).sum(-1), 0, 1)
    shadow = soft_shadow(p + n * 1e-3, light)
    half = light - rays
    half /= np.linalg.norm(half, axis=-1, keepdims=True)
    spec = np.clip((n * half).sum(-1), 0, 1) ** 48
    sky = 0.5 + 0.5 * n[..., 2]

    colours = np.array([[0.97, 0.97, 0.96], [1.0, 0.78, 0.08], [1.0, 0.42, 0.05], [0.05, 0.05, 0.06]])
    albedo = colours[material]
    light_amount = 0.62 * lambert * shadow + 0.42 * sky
    rgb = albedo * light_amount[..., None] + (material > 0)[..., None] * spec[..., None] * 0.6
    # The table fades into a white sweep: only shadows darken it.
    floor = material == 0
    floor_tone = np.clip(1.0 - 0.55 * (1 - shadow), 0, 1)
    rgb[floor] = np.array([0.98, 0.98, 0.975]) * floor_tone[floor][..., None]
    rng = np.random.default_rng(7)
    rgb = rgb + rng.normal(0, 0.006, rgb.shape)
    img = (np.clip(rgb, 0, 1) ** (1 / 1.1) * 255 + 0.5).astype(np.uint8)
    Image.fromarray(img).save(OUT, quality=90, optimize=True)


if __name__ == "__main__":
    main()
