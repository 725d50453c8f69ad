#!/usr/bin/env python3
"""Writes the small test images of the imaging layer into tests/data/images/.

Deterministic: the same Pillow and numpy give the same files. The images are shipped with the
repository; run this again only to change them:  python3 tests/data/make_images.py

Pattern images (96x64, wider than tall so swapped dimensions show) carry four flat quadrants:
top-left red, top-right green, bottom-left blue, bottom-right yellow (QUADRANTS below).
"""
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

OUT = Path(__file__).resolve().parent / "images"

WIDTH, HEIGHT = 96, 64
QUADRANTS = {  # RGB
    "top_left": (220, 30, 30),
    "top_right": (30, 200, 30),
    "bottom_left": (30, 30, 220),
    "bottom_right": (230, 220, 40),
}
GRAY_QUADRANTS = {"top_left": 40, "top_right": 100, "bottom_left": 160, "bottom_right": 220}


def pattern_rgb():
    img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    h, w = HEIGHT // 2, WIDTH // 2
    img[:h, :w] = QUADRANTS["top_left"]
    img[:h, w:] = QUADRANTS["top_right"]
    img[h:, :w] = QUADRANTS["bottom_left"]
    img[h:, w:] = QUADRANTS["bottom_right"]
    return img


def pattern_gray():
    img = np.zeros((HEIGHT, WIDTH), np.uint8)
    h, w = HEIGHT // 2, WIDTH // 2
    img[:h, :w] = GRAY_QUADRANTS["top_left"]
    img[:h, w:] = GRAY_QUADRANTS["top_right"]
    img[h:, :w] = GRAY_QUADRANTS["bottom_left"]
    img[h:, w:] = GRAY_QUADRANTS["bottom_right"]
    return img


def pattern_alpha():
    """Opaque left half, half-transparent (128) right half."""
    alpha = np.full((HEIGHT, WIDTH), 255, np.uint8)
    alpha[:, WIDTH // 2:] = 128
    return alpha


def save(image, name, **options):
    image.save(OUT / name, **options)


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_16bit(samples):
    """A 16-bit gray (2-D samples) or RGB (3-D) PNG, written by hand: Pillow writes neither."""
    height, width = samples.shape[:2]
    colour_type = 2 if samples.ndim == 3 else 0
    rows = samples.astype(">u2").reshape(height, -1).view(np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def png_with_header(width, height, idat):
    """A PNG file from raw parts: 8-bit RGB IHDR claiming width x height, the given IDAT bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) +
            png_chunk(b"IEND", b""))


# ---- every supported encoding, on the quadrant pattern -------------------------------------------

def write_encodings():
    rgb = Image.fromarray(pattern_rgb(), "RGB")
    gray = Image.fromarray(pattern_gray(), "L")
    rgba = Image.fromarray(np.dstack([pattern_rgb(), pattern_alpha()]), "RGBA")

    save(rgb, "png_rgb8.png")
    (OUT / "png_rgb16.png").write_bytes(png_16bit(pattern_rgb().astype(np.uint16) * 257))
    save(gray, "png_gray8.png")
    (OUT / "png_gray16.png").write_bytes(png_16bit(pattern_gray().astype(np.uint16) * 257))
    save(rgb.quantize(colors=4, method=Image.Quantize.MEDIANCUT), "png_palette.png")
    save(rgba, "png_rgba.png")
    save(Image.fromarray(np.dstack([pattern_gray(), pattern_alpha()]), "LA"), "png_gray_alpha.png")

    save(rgb, "jpeg_baseline.jpg", quality=90)
    save(rgb, "jpeg_progressive.jpg", quality=90, progressive=True)
    save(gray, "jpeg_gray.jpg", quality=90)
    save(rgb.convert("CMYK"), "jpeg_cmyk.jpg", quality=90)

    save(rgb, "webp_lossy.webp", quality=90)        # a simple-format (VP8) file
    save(rgb, "webp_lossless.webp", lossless=True)  # a lossless (VP8L) file
    save(rgba, "webp_alpha.webp", quality=90)       # lossy with alpha: an extended (VP8X) file

    save(rgb, "bmp_rgb24.bmp")
    save(rgb.quantize(colors=4, method=Image.Quantize.MEDIANCUT), "bmp_palette8.bmp")


# ---- EXIF orientation ----------------------------------------------------------------------------

def write_orientations():
    """exif_orientation_N.jpg: stored pixels 64x40, gray, with a red block in the top-left corner and
    a green block in the top-right corner; EXIF Orientation N says how to turn them for display."""
    stored = np.full((40, 64, 3), 128, np.uint8)
    stored[:12, :12] = (230, 20, 20)
    stored[:12, -12:] = (20, 210, 20)
    image = Image.fromarray(stored, "RGB")
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90, exif=exif)
        (OUT / f"exif_orientation_{orientation}.jpg").write_bytes(buffer.getvalue())
        # Self-check against Pillow's own reading of the tag.
        shown = ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue())))
        assert shown.size == ((64, 40) if orientation <= 4 else (40, 64)), orientation


# ---- photo-like scenes for the foreground mask ---------------------------------------------------

def shaded_blob(size, rng):
    """A snowman-like blob (a large disc under a smaller one), lit from the top-left, in RGB floats,
    with its boolean mask."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    s = size / 200.0
    body = (x - 100 * s) ** 2 + (y - 115 * s) ** 2 <= (48 * s) ** 2
    head = (x - 100 * s) ** 2 + (y - 58 * s) ** 2 <= (28 * s) ** 2
    mask = body | head
    light = 1.0 - 0.45 * np.clip(((x - 70 * s) ** 2 + (y - 70 * s) ** 2) ** 0.5 / (110 * s), 0, 1)
    colour = np.array([210, 110, 40], np.float64)  # orange
    pixels = colour[None, None, :] * light[..., None]
    pixels += rng.normal(0, 2.0, pixels.shape)
    return pixels, mask


def soft_shadow(size):
    """How much light a soft contact shadow below the blob leaves, in [0.75, 1]."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    s = size / 200.0
    d = ((x - 110 * s) / (60 * s)) ** 2 + ((y - 165 * s) / (14 * s)) ** 2
    return 1.0 - 0.25 * np.exp(-d * 1.5)


def write_scenes():
    rng = np.random.default_rng(7)
    size = 200

    blob, mask = shaded_blob(size, rng)
    white = np.full((size, size, 3), 250.0) + rng.normal(0, 1.5, (size, size, 3))
    white *= soft_shadow(size)[..., None]
    scene = np.where(mask[..., None], blob, white)
    save(Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8)), "object_on_white.jpg",
         quality=92)
    save(Image.fromarray(mask), "object_on_white_mask.png")

    # Clutter: a textured, multi-coloured background of overlapping rectangles and stripes.
    clutter = np.zeros((size, size, 3))
    clutter[:] = (120, 130, 110)
    for _ in range(40):
        x0, y0 = rng.integers(0, size, 2)
        w, h = rng.integers(10, 70, 2)
        clutter[y0:y0 + h, x0:x0 + w] = rng.integers(60, 200, 3)
    stripes = 12 * np.sin(np.arange(size) / 3.0)
    clutter += stripes[None, :, None] + rng.normal(0, 6, clutter.shape)
    blob, mask = shaded_blob(size, rng)
    blob = blob[..., [2, 1, 0]] * 0.8 + np.array([0, 0, 60])  # a saturated blue blob
    scene = np.where(mask[..., None], blob, clutter)
    save(Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8)), "object_on_clutter.jpg",
         quality=90)
    save(Image.fromarray(mask), "object_on_clutter_mask.png")

    # A real cut-out: transparent around a blob whose edge is anti-aliased.
    small = 128
    blob, mask = shaded_blob(small, rng)
    y, x = np.mgrid[0:small, 0:small]
    s = small / 200.0
    distance = np.minimum(np.hypot(x - 100 * s, y - 115 * s) - 48 * s,
                          np.hypot(x - 100 * s, y - 58 * s) - 28 * s)
    alpha = np.clip(0.5 - distance, 0, 1) * 255
    rgba = np.dstack([np.where(mask[..., None], blob, 0), alpha])
    save(Image.fromarray(np.clip(rgba, 0, 255).astype(np.uint8), "RGBA"), "rgba_object.png")
    save(Image.fromarray(mask), "rgba_object_mask.png")

    # An alpha channel that says nothing: opaque everywhere, over the object on white.
    white = np.full((small, small, 3), 250.0)
    scene = np.where(mask[..., None], blob, white)
    opaque = np.dstack([scene, np.full((small, small), 255.0)])
    save(Image.fromarray(np.clip(opaque, 0, 255).astype(np.uint8), "RGBA"), "rgba_opaque.png")


# ---- files that must be refused ------------------------------------------------------------------

def write_bad_files():
    rng = np.random.default_rng(11)
    noisy = Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8), "RGB")
    for name, options in [("png", {}), ("jpg", {"quality": 90}), ("webp", {"quality": 90})]:
        buffer = io.BytesIO()
        noisy.save(buffer, {"jpg": "JPEG"}.get(name, name.upper()), **options)
        data = buffer.getvalue()
        (OUT / f"bad_truncated.{name}").write_bytes(data[: len(data) * 6 // 10])

    (OUT / "bad_text.txt").write_bytes(b"This is not an image.\n")
    (OUT / "bad_empty.png").write_bytes(b"")
    # Valid headers over pixels that are not there: refused on the header alone.
    (OUT / "bad_header_20000x20000.png").write_bytes(png_with_header(20000, 20000, b""))
    (OUT / "bad_header_8000x8000.png").write_bytes(png_with_header(8000, 8000, b""))
    # A valid 64x64 header over compressed data that is garbage.
    garbage = bytes(rng.integers(0, 256, 300, dtype=np.uint8))
    (OUT / "bad_corrupt.png").write_bytes(png_with_header(64, 64, garbage))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write_encodings()
    write_orientations()
    write_scenes()
    write_bad_files()


if __name__ == "__main__":
    main()
