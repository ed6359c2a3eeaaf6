"""Draw the CineMA icon (128x128): a short-axis slice, LV blood pool inside the myocardial ring, RV crescent.

Run ``python Testing/Slicer/draw_icon.py`` to regenerate ``CineMA.png`` and ``Resources/Icons/CineMA.png``; the
colours are the segment colours of ``CineMASlicer.terminology`` so the icon matches what the module draws.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "CineMA")]

from CineMASlicer.terminology import BY_LABEL

from CineMALib.labels import LV, MYO, RV

SIZE, SCALE = 128, 4  # drawn 4x larger, then downsampled for smooth edges


def rgb(label: int) -> tuple[int, int, int]:
    return tuple(round(255 * c) for c in BY_LABEL[label].color)  # type: ignore[return-value]


def draw() -> Image.Image:
    big = SIZE * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    s = SCALE
    pen.rounded_rectangle((2 * s, 2 * s, 126 * s, 126 * s), radius=22 * s, fill=(24, 28, 38, 255))
    # RV: a crescent hugging the septum (an ellipse minus the LV epicardium)
    pen.ellipse((14 * s, 30 * s, 84 * s, 102 * s), fill=rgb(RV))
    pen.ellipse((40 * s, 24 * s, 116 * s, 100 * s), fill=(24, 28, 38, 255))
    pen.ellipse((44 * s, 28 * s, 112 * s, 96 * s), fill=rgb(MYO))
    pen.ellipse((58 * s, 42 * s, 98 * s, 82 * s), fill=rgb(LV))
    # a short ECG trace under the heart: this is a cine
    trace = [(14, 112), (40, 112), (46, 104), (52, 118), (58, 96), (64, 116), (70, 112), (114, 112)]
    pen.line([(x * s, y * s) for x, y in trace], fill=(235, 235, 235, 255), width=3 * s, joint="curve")
    return image.resize((SIZE, SIZE), Image.LANCZOS)


def main() -> int:
    icon = draw()
    for path in (REPO / "CineMA.png", REPO / "Resources" / "Icons" / "CineMA.png"):
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and ImageChops.difference(Image.open(path).convert("RGBA"), icon).getbbox() is None:
            continue
        icon.save(path, optimize=True)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
