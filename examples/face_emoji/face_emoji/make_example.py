"""Build the example photo shipped in the package from scikit-image's public-domain astronaut.

Run ``python -m face_emoji.make_example``: it fetches the scikit-image wheel with pip (without
installing it), reads ``skimage/data/astronaut.png`` from it with zipfile, and writes a 320 px
JPEG (25 KB; the face is still found, 63 px wide) to ``samples/astronaut.jpg``. The photo is of
NASA astronaut Eileen Collins, from NASA's Great Images database: "No known copyright
restrictions, released into the public domain" (scikit-image's ``skimage.data.astronaut``).
"""
from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from PIL import Image

SAMPLE = Path(__file__).resolve().parent / "samples" / "astronaut.jpg"
SCIKIT_IMAGE = "scikit-image==0.26.0"
MEMBER = "skimage/data/astronaut.png"
SIDE = 320
QUALITY = 85


def astronaut_png(wheel: Path | None = None) -> bytes:
    """Return the astronaut PNG from a scikit-image wheel (downloaded when none is given)."""
    if wheel is None:
        folder = Path(tempfile.mkdtemp(prefix="face-emoji-"))
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary", ":all:", "--dest", str(folder), SCIKIT_IMAGE],
                       check=True)
        wheel = next(folder.glob("scikit_image-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(MEMBER)


def write_sample(png: bytes, output: Path = SAMPLE) -> Path:
    """Reduce the photo to ``SIDE`` px and save it as the package's example JPEG."""
    photo = Image.open(io.BytesIO(png)).convert("RGB")
    output.parent.mkdir(parents=True, exist_ok=True)
    photo.resize((SIDE, SIDE), Image.Resampling.LANCZOS).save(
        output, "JPEG", quality=QUALITY, optimize=True)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a scikit-image wheel already downloaded")
    parser.add_argument("--output", type=Path, default=SAMPLE)
    args = parser.parse_args()
    path = write_sample(astronaut_png(args.wheel), args.output)
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
