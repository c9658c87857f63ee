"""Photos with face tags written by another program (exiftool), for the tags tests.

Each photo is two_people.jpg (two faces, boxes in tests/data/faces/boxes.json)
*stored* for one EXIF orientation: its pixels are turned so that a viewer applying
the orientation shows the original.  Regions are placed in the stored frame by
turning a mask of each face box the same way (Pillow), so the tests never use
faceapp's own geometry to make their input.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.testdata import FACES, photo_path

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed (Debian: "
                                                              "apt-get install libimage-exiftool-perl)")

#: Pillow's transpose that takes the stored image to the displayed one, per EXIF orientation.
_SHOW = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
         5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
         8: Image.Transpose.ROTATE_90}
#: Pillow's transpose that undoes each of the above.
_STORE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
          5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
          8: Image.Transpose.ROTATE_270}
SCALE = 2  # half-size photos: faster detection, faces still ~75 px wide
NAMES = ("Lefty", "Righty")  # the face on the left of the displayed photo, and the one on the right


def displayed() -> Image.Image:
    image = Image.open(photo_path("two_people.jpg")).convert("RGB")
    return image.resize((image.width // SCALE, image.height // SCALE), Image.Resampling.BILINEAR)


def displayed_boxes() -> list[tuple[int, int, int, int]]:
    """The two faces (x, y, w, h) in the displayed half-size photo, left one first."""
    boxes = json.loads((FACES / "boxes.json").read_text())["two_people.jpg"]
    return sorted(tuple(v // SCALE for v in box) for box in boxes)


def stored_box(box: tuple[int, int, int, int], size: tuple[int, int], orientation: int) -> tuple[int, int, int, int]:
    """``box`` of the displayed photo (``size``) in the stored image, by turning a mask with Pillow."""
    mask = Image.new("L", size, 0)
    x, y, w, h = box
    mask.paste(255, (x, y, x + w, y + h))
    if orientation != 1:
        mask = mask.transpose(_STORE[orientation])
    left, top, right, bottom = mask.getbbox()
    return left, top, right - left, bottom - top


def exiftool(*args: str | Path) -> str:
    done = subprocess.run([EXIFTOOL, "-q", "-q", *map(str, args)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def region_args(boxes: list[tuple[int, int, int, int]], size: tuple[int, int], names: tuple[str, ...],
                microsoft: bool = False) -> list[str]:
    """exiftool arguments writing ``boxes`` (stored frame, pixels of ``size``) as MWG (or Microsoft) regions."""
    w, h = size
    if microsoft:
        items = ",".join(f"{{PersonDisplayName={n},Rectangle={x / w:.6f}|, {y / h:.6f}|, {bw / w:.6f}|, {bh / h:.6f}}}"
                         for n, (x, y, bw, bh) in zip(names, boxes))
        return [f"-XMP-MP:RegionInfoMP={{Regions=[{items}]}}"]
    items = ",".join(f"{{Area={{X={(x + bw / 2) / w:.6f},Y={(y + bh / 2) / h:.6f},W={bw / w:.6f},H={bh / h:.6f},"
                     f"Unit=normalized}},Name={n},Type=Face}}" for n, (x, y, bw, bh) in zip(names, boxes))
    return [f"-XMP-mwg-rs:RegionInfo={{AppliedToDimensions={{W={w},H={h},Unit=pixel}},RegionList=[{items}]}}"]


def save_heic(image: Image.Image, path: Path, orientation: int) -> None:
    """``image`` (the stored pixels) as a HEIC with EXIF ``orientation``: pillow-heif writes the same turn as
    the HEIF ``irot``/``imir`` boxes, which a reader applies while decoding (as a phone's photos are made)."""
    from pillow_heif import from_pillow

    exif = Image.Exif()
    exif[0x0112] = orientation
    from_pillow(image).save(path, quality=92, exif=exif.tobytes())


def tagged_photos(folder: Path, specs: list[tuple[int, str]], names: tuple[str, ...] = NAMES,
                  microsoft: bool = False, suffix: str = "jpg") -> list[Path]:
    """JPEGs (or HEICs: ``suffix`` "heic") stored for each ``(orientation, where)`` whose regions name the two
    faces (one exiftool run).

    ``where``: "embedded", "sidecar" (photo.jpg.xmp), "lightroom" (photo.xmp), "both" (the sidecar names
    them rightly, the embedded regions wrongly) or "none" (no regions; still a keyword and a rating).
    """
    folder.mkdir(parents=True, exist_ok=True)
    shown = displayed()
    boxes = displayed_boxes()
    commands: list[list[str]] = []
    paths = []
    for orientation, where in specs:
        stored = shown.transpose(_STORE[orientation]) if orientation != 1 else shown
        path = folder / f"o{orientation}-{where}{'-mp' if microsoft else ''}.{suffix}"
        if suffix == "heic":
            save_heic(stored, path, orientation)
        else:
            stored.save(path, quality=92)
        paths.append(path)
        stored_boxes = [stored_box(b, shown.size, orientation) for b in boxes]
        regions = region_args(stored_boxes, stored.size, names, microsoft)
        inside = region_args(stored_boxes, stored.size, ("Wrong1", "Wrong2"), microsoft) if where == "both" else regions
        # A HEIC's orientation is written with its pixels (above): EXIF alone would disagree with irot/imir.
        turn = [f"-Orientation#={orientation}"] if suffix != "heic" else []
        commands.append(["-overwrite_original", *turn, "-XMP-dc:Subject=holiday",
                         "-Rating=4", *(inside if where in ("embedded", "both") else []), str(path)])
        if where in ("sidecar", "both", "lightroom"):
            sidecar = path.with_name(path.name + ".xmp") if where != "lightroom" else path.with_suffix(".xmp")
            # A copy of the photo's metadata, as digiKam writes it, then the regions.
            commands.append(["-o", str(sidecar), str(path)])
            commands.append(["-overwrite_original", "-XMP-xmp:Label=Blue", *regions, str(sidecar)])
    argfile = folder / f".exiftool-{len(list(folder.glob('.exiftool-*')))}.args"
    argfile.write_text("\n".join("\n".join(c) + "\n-execute" for c in commands) + "\n")
    exiftool("-@", argfile)
    return paths


def tagged_photo(folder: Path, orientation: int, where: str = "embedded", names: tuple[str, ...] = NAMES,
                 microsoft: bool = False) -> Path:
    """One photo of :func:`tagged_photos`."""
    return tagged_photos(folder, [(orientation, where)], names, microsoft)[0]


def read_regions(path: Path) -> list[dict]:
    """exiftool's reading of a file's MWG regions: [{name, x, y, w, h}] (centre, normalised)."""
    data = json.loads(exiftool("-struct", "-j", "-RegionInfo", "-RegionInfoMP", path))[0]
    return [{"name": r["Name"], "x": float(r["Area"]["X"]), "y": float(r["Area"]["Y"]),
             "w": float(r["Area"]["W"]), "h": float(r["Area"]["H"])}
            for r in data.get("RegionInfo", {}).get("RegionList", [])]


def show_transpose(orientation: int) -> Image.Transpose | None:
    return _SHOW.get(orientation)
