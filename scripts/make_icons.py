"""Draw faceapp's icon (a face inside detection-box corners) as PNG files in faceapp/resources/."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "faceapp" / "resources"


def draw(size: int) -> Image.Image:
    scale = 4  # draw large, shrink for smooth edges
    s = size * scale
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=(34, 110, 200, 255))
    w = max(2, s // 24)
    m, L = s // 7, s // 4  # margin, corner length
    amber = (255, 176, 0, 255)
    for x, y, dx, dy in ((m, m, 1, 1), (s - m, m, -1, 1), (m, s - m, 1, -1), (s - m, s - m, -1, -1)):
        d.line((x, y, x + dx * L, y), fill=amber, width=w)
        d.line((x, y, x, y + dy * L), fill=amber, width=w)
    white = (255, 255, 255, 255)
    d.ellipse((s * 0.30, s * 0.22, s * 0.70, s * 0.70), outline=white, width=w)
    for ex in (0.42, 0.58):
        d.ellipse((s * ex - w, s * 0.42 - w, s * ex + w, s * 0.42 + w), fill=white)
    d.arc((s * 0.40, s * 0.46, s * 0.60, s * 0.62), 20, 160, fill=white, width=w)
    return image.resize((size, size), Image.LANCZOS)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    draw(256).save(OUT / "faceapp.png")
    draw(48).save(OUT / "faceapp-48.png")
    draw(256).save(OUT / "faceapp.ico", sizes=[(16, 16), (32, 32), (48, 48), (256, 256)])
    draw(512).save(OUT / "faceapp.icns")  # macOS app bundle
    print("icons written to", OUT)
