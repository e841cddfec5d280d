"""Draw the app icons (static/icons/): a white health cross on the site's blue, as SVG and PNG.

Run once after changing the design: `.venv/bin/python scripts/make_icons.py`. The PNGs are for
browsers and launchers that do not take SVG icons; the maskable one keeps the cross inside the
central safe zone (80 %) that launchers may crop to a circle.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = "#0b5cad"
WHITE = "#ffffff"
OUT = Path(__file__).resolve().parent.parent / "khaibao" / "static" / "icons"

SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="Khai Báo">
<rect width="64" height="64" rx="12" fill="{blue}"/>
<path d="M26 12h12v14h14v12H38v14H26V38H12V26h14z" fill="{white}"/>
</svg>
"""


def draw(size: int, *, maskable: bool) -> Image.Image:
    image = Image.new("RGB" if maskable else "RGBA", (size, size), BLUE if maskable else (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if not maskable:
        pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size * 12 // 64, fill=BLUE)
    # The cross of the SVG (a 40-unit square of a 64-unit icon), smaller when it must survive cropping.
    scale = size / 64 * (0.8 if maskable else 1.0)
    offset = (size - 64 * scale) / 2

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (offset + x0 * scale, offset + y0 * scale, offset + x1 * scale - 1, offset + y1 * scale - 1)

    pen.rectangle(box(26, 12, 38, 52), fill=WHITE)
    pen.rectangle(box(12, 26, 52, 38), fill=WHITE)
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon.svg").write_text(SVG.format(blue=BLUE, white=WHITE), encoding="utf-8")
    draw(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
