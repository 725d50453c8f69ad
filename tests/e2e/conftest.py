"""Shared fixtures: the orfeas binary, real photos, and a runner that captures everything."""
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("ORFEAS_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
ORFEAS = os.environ.get("ORFEAS_BIN", str(SOURCE_DIR / "build/src/orfeas/cli/orfeas"))


def skimage_photo(name):
    """A real photo or drawing shipped inside scikit-image's wheel."""
    import skimage.data

    path = pathlib.Path(skimage.data.__file__).parent / name
    assert path.exists(), f"scikit-image no longer ships {name}"
    return path


@pytest.fixture
def run():
    def _run(*args, check=True):
        proc = subprocess.run([ORFEAS, *map(str, args)], capture_output=True, text=True, timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(f"orfeas {args} exited {proc.returncode}: {proc.stderr}")
        return proc

    return _run


@pytest.fixture
def duck():
    return SOURCE_DIR / "examples" / "duck.jpg"
