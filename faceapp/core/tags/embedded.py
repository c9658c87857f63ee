"""XMP inside a photo: read from any format Pillow exposes it for, written into JPEG only.

Reading uses what Pillow already extracts while reading the header (JPEG APP1,
PNG iTXt, TIFF tag 700, WebP "XMP " chunk, HEIC's ``mime`` XMP item through
pillow-heif); parsing is :mod:`.xmp`'s.  A HEIC's regions, like a JPEG's, apply
to the image as stored (coded): pillow-heif turns the pixels by the file's
``irot``/``imir`` while decoding, so the stored size is the decoded one turned
back, and the orientation is the one pillow-heif applied.  Writing
(``--embed``) replaces or inserts only the JPEG APP1 segment that holds XMP, byte
for byte: every other segment (EXIF, ICC profile, IPTC, the image data) is copied
unchanged.  Other formats are refused in one sentence rather than risked.
"""

from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from faceapp.core.errors import FaceAppError

__all__ = ["StoredImage", "stored_image", "replace_jpeg_xmp", "wrap_packet", "XMP_APP1_HEADER"]

XMP_APP1_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
#: A JPEG segment holds at most 65,535 bytes including its 2-byte length.
_MAX_SEGMENT = 65533


@dataclass(frozen=True)
class StoredImage:
    """What the photo's header says: stored size (w, h), the EXIF orientation faceapp applies, its XMP bytes."""

    width: int
    height: int
    orientation: int
    xmp: bytes | None
    format: str


def stored_image(path: str | os.PathLike) -> StoredImage:
    """Read the photo's header (no pixels are decoded); raises FaceAppError in one sentence when unreadable.

    The orientation is the one :func:`faceapp.core.images.load_image` applies to the
    pixels (Pillow's EXIF orientation, which falls back to the XMP ``tiff:Orientation``
    of the photo itself; for HEIC, the ``irot``/``imir`` turn pillow-heif applied while
    decoding), so regions move exactly as the pixels did.
    """
    import warnings

    from PIL import Image

    from faceapp.core.images import prepare_heif

    name = Path(path).name
    try:
        with open(path, "rb") as handle:
            heif = prepare_heif(path, handle.read(16))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                width, height = image.size
                xmp = image.info.get("xmp")
                try:
                    if heif:  # already turned upright by pillow-heif, which says by what
                        orientation = int(image.info.get("original_orientation") or 1)
                    else:
                        orientation = int(image.getexif().get(0x0112, 1))
                except Exception:  # noqa: BLE001 - load_image ignores a broken EXIF block too
                    orientation = 1
                kind = image.format or ""
    except (OSError, ValueError, SyntaxError) as exc:
        raise FaceAppError(f"Cannot read the tags of '{name}': it is not a photo faceapp can open ({exc}).") from None
    except FaceAppError as exc:  # pillow-heif missing: load_image's sentence says what to do
        raise FaceAppError(f"Cannot read the tags of '{name}': {str(exc).split(': ', 1)[-1]}") from None
    orientation = orientation if 1 <= orientation <= 8 else 1
    if heif and orientation >= 5:  # the decoded size is the displayed one: the stored image is turned back
        width, height = height, width
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return StoredImage(width, height, orientation, xmp or None, kind)


def wrap_packet(xml: bytes, padding: int = 2048) -> bytes:
    """``xml`` inside an ``<?xpacket?>`` wrapper with ``padding`` spaces, so other programs can edit in place."""
    head = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'.encode("utf-8")
    pad = (b" " * 99 + b"\n") * (padding // 100)
    return head + xml + pad + b'<?xpacket end="w"?>'


def _segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each JPEG segment before the image data (SOS)."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file")
    out, pos = [], 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("damaged JPEG segment list")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the image data follows
            break
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if length < 2 or pos + 2 + length > len(data):
            raise ValueError("damaged JPEG segment length")
        out.append((marker, pos, pos + 2 + length))
        pos += 2 + length
    return out


def replace_jpeg_xmp(path: str | os.PathLike, packet: bytes) -> None:
    """Write ``packet`` (a wrapped XMP packet) into the JPEG at ``path``, replacing its XMP APP1 segment or
    inserting one after the JFIF/EXIF segments; the file is replaced atomically, after the result opens."""
    name = Path(path).name
    if len(XMP_APP1_HEADER) + len(packet) > _MAX_SEGMENT:
        raise FaceAppError(f"The tags for '{name}' no longer fit inside a JPEG (more than 64 kB of XMP); "
                           "write them to a sidecar instead (without --embed).")
    data = Path(path).read_bytes()
    try:
        segments = _segments(data)
    except ValueError as exc:
        raise FaceAppError(f"'{name}' was left as it was: its JPEG structure is unusual ({exc}); "
                           "write the tags to a sidecar instead (without --embed).") from None
    body = XMP_APP1_HEADER + packet
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    xmp = [s for s in segments if s[0] == 0xE1 and data[s[1] + 4:s[1] + 4 + len(XMP_APP1_HEADER)] == XMP_APP1_HEADER]
    if xmp:
        _, start, end = xmp[0]
        result = data[:start] + segment + data[end:]
    else:
        # After the leading JFIF (APP0) and EXIF (APP1) segments, where readers look for it.
        after = 2
        for marker, _, end in segments:
            if marker not in (0xE0, 0xE1):
                break
            after = end
        result = data[:after] + segment + data[after:]
    _replace_checked(Path(path), result)


def _replace_checked(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its permissions, only if ``data`` opens as a photo."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the photo must not be touched
        raise FaceAppError(f"'{path.name}' was left as it was: the photo with its new tags did not check out ({exc}); "
                           "write the tags to a sidecar instead (without --embed).") from None
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
