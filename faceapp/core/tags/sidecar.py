"""Where a photo's face regions are read from and written to: sidecars and the photo itself.

Sidecars: ``photo.jpg.xmp`` (digiKam, darktable; what faceapp writes) and
``photo.xmp`` (Lightroom, shared by a raw file and its JPEG).

**What wins** (decided here, once): the first of ``photo.jpg.xmp``, ``photo.xmp``
and the photo's embedded XMP that holds any region gives *all* the regions; the
others are not merged in.  A sidecar is where photo managers write without
touching the photo (digiKam's and darktable's "write to sidecar" setting,
Lightroom for raw files), so it is the newer word; merging would bring back a
region the user deleted there.  That is also why a sidecar faceapp creates
copies the regions of the source it replaces (``photo.xmp`` or the embedded
ones): a program that reads the sidecar first loses nothing.

**Orientation**: regions are moved with the orientation faceapp applied to the
pixels — the photo's own (EXIF, else its embedded ``tiff:Orientation``:
:func:`.embedded.stored_image`).  A sidecar's ``tiff:Orientation`` is ignored for
geometry (it describes a rotation another program applies on display, not the
pixels faceapp detected faces in) and kept unchanged when faceapp writes.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from faceapp.core.errors import FaceAppError
from faceapp.core.tags.embedded import StoredImage, read_embedded, stored_image
from faceapp.core.tags.xmp import MAX_PACKET_BYTES, Packet, Region, XmpError, parse

__all__ = ["PhotoTags", "read_photo_tags", "sidecar_candidates", "own_sidecar", "read_sidecar", "write_sidecar"]


@dataclass
class PhotoTags:
    """The regions of one photo (stored frame) and where they came from.

    ``source``: the sidecar's path, "embedded", or "" (no regions anywhere);
    ``problems``: one sentence per packet that was ignored (broken, hostile, too large).
    """

    path: str
    stored: StoredImage
    regions: list[Region] = field(default_factory=list)
    source: str = ""
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def sidecar_candidates(photo: str | os.PathLike) -> list[Path]:
    """The sidecars that exist for ``photo``, in the order they win: ``photo.jpg.xmp``, then ``photo.xmp``."""
    path = Path(photo)
    names = [path.name + ".xmp", path.name + ".XMP", path.stem + ".xmp", path.stem + ".XMP"]
    found: list[Path] = []
    for name in names:
        candidate = path.with_name(name)
        if candidate.is_file() and not any(os.path.samefile(candidate, f) for f in found):
            found.append(candidate)
    return found


def own_sidecar(photo: str | os.PathLike) -> Path:
    """The sidecar faceapp writes: ``photo.jpg.xmp`` (or an existing ``photo.jpg.XMP``)."""
    path = Path(photo)
    upper = path.with_name(path.name + ".XMP")
    return upper if upper.is_file() else path.with_name(path.name + ".xmp")


def read_sidecar(path: Path) -> Packet:
    """Parse a sidecar file; raises :class:`XmpError` (too large, unreadable, broken) in one sentence."""
    try:
        size = path.stat().st_size
        if size > MAX_PACKET_BYTES:
            raise XmpError(f"The sidecar '{path.name}' is {size // (1024 * 1024)} MB, more than the "
                           f"{MAX_PACKET_BYTES // (1024 * 1024)} MB faceapp reads; it was ignored.")
        data = path.read_bytes()
    except OSError as exc:
        raise XmpError(f"The sidecar '{path.name}' could not be read ({exc.strerror or exc}); check its "
                       "permissions.") from None
    try:
        return parse(data)
    except XmpError as exc:
        raise XmpError(str(exc).replace("The XMP metadata", f"The sidecar '{path.name}'", 1)) from None


def read_photo_tags(photo: str | os.PathLike) -> PhotoTags:
    """The face regions of ``photo`` by the rule in this module's docstring; never raises for a bad packet."""
    stored = stored_image(photo)
    tags = PhotoTags(str(photo), stored)
    name = Path(photo).name
    # Parsed one by one, in the order they win: the photo's own packet is often not needed at all.
    sources: list[tuple[str, Callable[[], Packet]]] = [(str(c), lambda c=c: read_sidecar(c))
                                                        for c in sidecar_candidates(photo)]
    if stored.xmp:
        def embedded() -> Packet:
            packet, problem = read_embedded(stored, name)
            if problem:  # its Extended XMP was ignored: what the standard packet holds is still read
                tags.problems.append(problem)
            return packet

        sources.append(("embedded", embedded))
    for source, read in sources:
        try:
            packet = read()
        except XmpError as exc:
            where = "The XMP metadata" if source != "embedded" else f"The XMP metadata inside '{name}'"
            tags.problems.append(str(exc).replace("The XMP metadata", where, 1))
            continue
        regions = packet.regions()
        if regions or packet.skipped:
            tags.regions, tags.source, tags.skipped = regions, source, packet.skipped
            break
    return tags


def write_sidecar(path: Path, packet: Packet) -> bool:
    """Write ``packet`` to ``path`` atomically (kept as it was when the content is the same); True if written."""
    from faceapp.core.tags.embedded import wrap_packet

    data = wrap_packet(packet.serialise(), padding=0)
    try:
        if path.is_file() and path.read_bytes() == data:
            return False
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise FaceAppError(f"Cannot write the sidecar '{path.name}' ({exc.strerror or exc}); check that its "
                           "folder can be written.") from None
    return True
