"""XMP inside a photo: read from any format Pillow exposes it for, written into JPEG only.

Reading uses what Pillow already extracts while reading the header (JPEG APP1,
PNG iTXt, TIFF tag 700, WebP "XMP " chunk, HEIC's ``mime`` XMP item through
pillow-heif); parsing is :mod:`.xmp`'s.  A HEIC's regions, like a JPEG's, apply
to the image as stored (coded): pillow-heif turns the pixels by the file's
``irot``/``imir`` while decoding, so the stored size is the decoded one turned
back, and the orientation is the one pillow-heif applied.

A JPEG segment holds at most 64 kB, so a larger JPEG packet is split (XMP
specification part 3, 1.1.3.1): a *standard* packet in the usual APP1 segment
names, in ``xmpNote:HasExtendedXMP``, a GUID (the MD5 of the rest), and the rest —
the *Extended XMP*, a packet of its own — follows in APP1 segments headed
``http://ns.adobe.com/xmp/extension/``, each with that GUID, the full length and
its offset.  :func:`read_embedded` joins them (parts with another GUID are not
its own; parts missing, disagreeing or over :data:`~.xmp.MAX_PACKET_BYTES` are one
sentence, and the standard packet is still read).

Writing (``--embed``) replaces or inserts only the JPEG APP1 segments that hold
XMP (standard and extended), byte for byte: every other segment (EXIF, ICC
profile, IPTC, the image data) is copied unchanged.  A packet too large for one
segment is written as standard + Extended XMP, the largest properties (the region
lists) moved out first.  Other formats are refused in one sentence rather than risked.
"""

from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from faceapp.core.errors import FaceAppError
from faceapp.core.tags.xmp import MAX_PACKET_BYTES, Packet, XmpError, extended_guid_of, parse

__all__ = ["StoredImage", "stored_image", "read_embedded", "write_jpeg_xmp", "replace_jpeg_xmp", "wrap_packet",
           "XMP_APP1_HEADER", "XMP_EXTENSION_HEADER"]

XMP_APP1_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
#: A JPEG segment holds at most 65,535 bytes including its 2-byte length.
_MAX_SEGMENT = 65533
#: Extended XMP bytes per segment: after its header, the GUID (32) and the full length and offset (4 + 4).
_CHUNK = _MAX_SEGMENT - len(XMP_EXTENSION_HEADER) - 40


@dataclass(frozen=True)
class StoredImage:
    """What the photo's header says: stored size (w, h), the EXIF orientation faceapp applies, its XMP bytes."""

    width: int
    height: int
    orientation: int
    xmp: bytes | None
    format: str
    #: JPEG Extended XMP segments, each after its header: GUID (32), full length, offset, bytes.
    extended: tuple[bytes, ...] = ()


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
                extended = tuple(data[len(XMP_EXTENSION_HEADER):] for marker, data in getattr(image, "applist", ())
                                 if marker == "APP1" and data.startswith(XMP_EXTENSION_HEADER)) \
                    if kind == "JPEG" else ()
    except (OSError, ValueError, SyntaxError) as exc:
        raise FaceAppError(f"Cannot read the tags of '{name}': it is not a photo faceapp can open ({exc}).") from None
    except FaceAppError as exc:  # pillow-heif missing: load_image's sentence says what to do
        raise FaceAppError(f"Cannot read the tags of '{name}': {str(exc).split(': ', 1)[-1]}") from None
    orientation = orientation if 1 <= orientation <= 8 else 1
    if heif and orientation >= 5:  # the decoded size is the displayed one: the stored image is turned back
        width, height = height, width
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return StoredImage(width, height, orientation, xmp or None, kind, extended)


def read_embedded(stored: StoredImage, name: str) -> tuple[Packet, str]:
    """The photo's own packet (``stored.xmp``, which must be there) with its Extended XMP merged in, and one
    sentence when the Extended XMP it names was ignored ("" otherwise); raises :class:`XmpError` when the
    standard packet itself cannot be read."""
    packet = parse(stored.xmp)
    guid = packet.extended_guid()
    if guid is None:
        return packet, ""
    try:
        packet.merge(parse(_join_extended(stored.extended, guid, name)))
    except XmpError as exc:
        reason = str(exc).replace("The XMP metadata", f"The Extended XMP of '{name}'", 1)
        if "; it was ignored" not in reason:
            reason = reason.rstrip(".") + "; it was ignored."
        return packet, reason.replace("; it was ignored", "; it was ignored (only the standard XMP was read)", 1)
    return packet, ""


def _join_extended(chunks: tuple[bytes, ...], guid: str, name: str) -> bytes:
    """The Extended XMP ``guid`` names, joined from its parts; XmpError in one sentence when it cannot be."""
    own = [c for c in chunks if len(c) >= 40 and c[:32].decode("latin-1").upper() == guid]
    if not own:
        where = "held under another GUID than its XMP names (left from an older version)" if chunks else \
            "not in the photo"
        raise XmpError(f"The XMP metadata is {where}; it was ignored — rewrite the tags with a photo program to "
                       "read them.")
    lengths = {struct.unpack(">I", c[32:36])[0] for c in own}
    if len(lengths) != 1:
        raise XmpError("The XMP metadata is damaged: its parts disagree on its length; it was ignored — rewrite "
                       "the tags with a photo program to read them.")
    total = lengths.pop()
    if total > MAX_PACKET_BYTES:
        raise XmpError(f"The XMP metadata is {total // (1024 * 1024)} MB, more than the "
                       f"{MAX_PACKET_BYTES // (1024 * 1024)} MB faceapp reads; it was ignored.")
    joined = bytearray(total)
    spans = []
    for chunk in own:
        offset, data = struct.unpack(">I", chunk[36:40])[0], chunk[40:]
        if offset + len(data) > total:
            raise XmpError("The XMP metadata is damaged: a part lies beyond its stated length; it was ignored — "
                           "rewrite the tags with a photo program to read them.")
        joined[offset:offset + len(data)] = data
        spans.append((offset, offset + len(data)))
    reached = 0
    for start, end in sorted(spans):
        if start > reached:
            break
        reached = max(reached, end)
    if reached < total:
        raise XmpError("The XMP metadata is incomplete: parts of it are missing from the photo; it was ignored — "
                       "rewrite the tags with a photo program to read them.")
    return bytes(joined)


def write_jpeg_xmp(path: str | os.PathLike, packet: Packet) -> None:
    """Write ``packet`` into the JPEG at ``path``: in its XMP segment, with room to edit in place when it fits,
    else as standard + Extended XMP (:func:`replace_jpeg_xmp` keeps every other byte)."""
    room = _MAX_SEGMENT - len(XMP_APP1_HEADER) - len(wrap_packet(b"", padding=0))
    try:
        standard, extended = packet.split(room)
    except XmpError:
        standard, extended = b"", None
    if not standard or (extended is not None and len(extended) > MAX_PACKET_BYTES):
        raise FaceAppError(f"The tags for '{Path(path).name}' are too large to write inside the photo; write them "
                           "to a sidecar instead (without --embed).")
    padded = wrap_packet(standard)
    fits = extended is None and len(XMP_APP1_HEADER) + len(padded) <= _MAX_SEGMENT
    replace_jpeg_xmp(path, padded if fits else wrap_packet(standard, padding=0), extended)


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


def replace_jpeg_xmp(path: str | os.PathLike, packet: bytes, extended: bytes | None = None) -> None:
    """Write ``packet`` (a wrapped XMP packet) into the JPEG at ``path`` — and ``extended``, the Extended XMP
    it names, in the segments after it — replacing its XMP APP1 segments (standard and extended) or inserting
    them after the JFIF/EXIF segments; the file is replaced atomically, after the result opens."""
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
    def app1(body: bytes) -> bytes:
        return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body

    new = app1(XMP_APP1_HEADER + packet)
    if extended:
        guid = extended_guid_of(extended).encode("ascii")
        new += b"".join(app1(XMP_EXTENSION_HEADER + guid + struct.pack(">II", len(extended), offset)
                             + extended[offset:offset + _CHUNK]) for offset in range(0, len(extended), _CHUNK))

    def is_xmp(start: int) -> bool:
        head = data[start + 4:start + 4 + len(XMP_EXTENSION_HEADER)]
        return head.startswith(XMP_APP1_HEADER) or head == XMP_EXTENSION_HEADER

    xmp = [(start, end) for marker, start, end in segments if marker == 0xE1 and is_xmp(start)]
    if xmp:  # where the first one was; every other XMP segment (an older Extended XMP included) goes
        kept, pos = [], 0
        for start, end in xmp:
            kept.append(data[pos:start])
            pos = end
        result = kept[0] + new + b"".join(kept[1:]) + data[pos:]
    else:
        # After the leading JFIF (APP0) and EXIF (APP1) segments, where readers look for it.
        after = 2
        for marker, _, end in segments:
            if marker not in (0xE0, 0xE1):
                break
            after = end
        result = data[:after] + new + data[after:]
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
