"""Square face thumbnails for grids, cut upright from the photo and cached on disk (Qt-free).

A thumbnail shows the face with the VGGFace2 crop's margin around it, turned
upright when the photo lies on its side.  The cache key covers the photo's path,
size and modification time, the face box and rotation and the thumbnail size,
so a changed photo never shows an old face.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from faceapp.core.types import Face

__all__ = ["face_thumbnail", "face_thumbnails", "thumbnail_cache_dir"]

def thumbnail_cache_dir() -> Path:
    """``thumbnails`` in faceapp's cache folder (:func:`faceapp.paths.user_cache_dir`)."""
    from faceapp.paths import user_cache_dir

    return user_cache_dir() / "thumbnails"


def _key(path: str, face: Face, size: int) -> str:
    info = os.stat(path)
    box = face.box
    text = f"{path}|{info.st_size}|{info.st_mtime_ns}|{box.x},{box.y},{box.width},{box.height}|{face.rotation}|{size}"
    return hashlib.sha1(text.encode()).hexdigest()


def face_thumbnails(path: str | os.PathLike, faces: list[Face], size: int = 128,
                    cache: Path | None = None) -> list[np.ndarray]:
    """RGB uint8 (size, size, 3) thumbnails of ``faces`` of the photo at ``path``, decoding it at most once.

    Raises ImageLoadError when the photo cannot be read (gone, damaged).
    """
    from PIL import Image

    from faceapp.core.detection.align import crop_face
    from faceapp.core.images import load_image, resize_rgb

    path = str(path)
    cache = cache if cache is not None else thumbnail_cache_dir()
    out: list[np.ndarray | None] = []
    targets = []
    for face in faces:
        target = cache / f"{_key(path, face, size)}.jpg" if os.path.exists(path) else None
        targets.append(target)
        thumbnail = None
        if target is not None and target.is_file():
            try:
                thumbnail = np.asarray(Image.open(target).convert("RGB"))
            except OSError:
                pass  # a damaged cache file: make it again
        out.append(thumbnail)
    if any(t is None for t in out):
        image = load_image(path)
        for index, (face, target) in enumerate(zip(faces, targets)):
            if out[index] is not None:
                continue
            out[index] = resize_rgb(crop_face(image, face.box, "vggface2", face.rotation), size, size)
            try:
                cache.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(".part")
                Image.fromarray(out[index]).save(partial, "JPEG", quality=88)
                os.replace(partial, target)
            except (OSError, AttributeError):
                pass  # no cache (read-only home, full disk): made again next time
    return out  # type: ignore[return-value]


def face_thumbnail(path: str | os.PathLike, face: Face, size: int = 128, cache: Path | None = None) -> np.ndarray:
    """One face's thumbnail (see :func:`face_thumbnails`)."""
    return face_thumbnails(path, [face], size, cache)[0]
