"""XMP packets: parsed safely, face regions read and added, serialised back.

An XMP packet comes from a photo or a sidecar, that is from anyone: it is parsed
with expat directly, and any document type declaration is refused before a
single entity could be declared — XMP never needs one, so a billion-laughs
packet or an external entity is one sentence, never a hang or a file read.
Packets larger than :data:`MAX_PACKET_BYTES` and more than :data:`MAX_REGIONS`
regions are refused or cut the same way.

Two forms of face regions are read (both in the *stored* image's frame;
geometry is :mod:`faceapp.core.tags.regions`):

* MWG (``mwg-rs:Regions``): ``stArea`` x/y is the region's **centre**, w/h its
  size, normalised to 0–1;
* Microsoft People tags (``MP:RegionInfo``): ``MPReg:Rectangle`` "x, y, w, h"
  from the top-left corner, normalised.

Writing edits the parsed tree in place: regions faceapp adds are appended to the
existing lists, and every other element and attribute is left as it was.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.parsers.expat
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from faceapp.core.errors import FaceAppError

__all__ = ["XmpError", "Region", "Packet", "MAX_PACKET_BYTES", "MAX_REGIONS", "NS", "parse", "new_packet",
           "extended_guid_of"]

#: Larger packets are refused: a real one with regions is a few kB (JPEG's own limit is 64 kB; extended XMP ~ 1 MB).
MAX_PACKET_BYTES = 4 * 1024 * 1024
#: Regions read from one packet at most; the rest are left out (and counted).
MAX_REGIONS = 500
#: Elements nested deeper are refused (real packets nest about 10 deep).
MAX_DEPTH = 64

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "mwg-rs": "http://www.metadataworkinggroup.com/schemas/regions/",
    "stArea": "http://ns.adobe.com/xmp/sType/Area#",
    "stDim": "http://ns.adobe.com/xap/1.0/sType/Dimensions#",
    "MP": "http://ns.microsoft.com/photo/1.2/",
    "MPRI": "http://ns.microsoft.com/photo/1.2/t/RegionInfo#",
    "MPReg": "http://ns.microsoft.com/photo/1.2/t/Region#",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "xmpNote": "http://ns.adobe.com/xmp/note/",
}
_NS_SEP = "}"
_XML_NS = "http://www.w3.org/XML/1998/namespace"


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


_RDF_LI, _RDF_DESC, _RDF_BAG = _q("rdf", "li"), _q("rdf", "Description"), _q("rdf", "Bag")
_PARSE_TYPE, _RDF_RDF = _q("rdf", "parseType"), _q("rdf", "RDF")
_GUID = re.compile(r"[0-9A-F]{32}")


def extended_guid_of(extended: bytes) -> str:
    """The GUID that names a serialised Extended XMP: the MD5 of its bytes, 32 upper-case hex digits."""
    return hashlib.md5(extended).hexdigest().upper()


class XmpError(FaceAppError):
    """An XMP packet faceapp will not read (hostile, broken or too large): one sentence."""


@dataclass(frozen=True)
class Region:
    """A named region, normalised (0–1) in the stored image: ``(left, top)`` its top-left corner.

    ``kind``: the MWG type ("Face", "Pet", …; Microsoft regions are faces); ``form``: "mwg" or "mp".
    """

    name: str
    left: float
    top: float
    width: float
    height: float
    kind: str = "Face"
    form: str = "mwg"

    @property
    def center(self) -> tuple[float, float]:
        return (self.left + self.width / 2.0, self.top + self.height / 2.0)

    def iou(self, other: Region) -> float:
        x0, y0 = max(self.left, other.left), max(self.top, other.top)
        x1 = min(self.left + self.width, other.left + other.width)
        y1 = min(self.top + self.height, other.top + other.height)
        inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if inter > 0 and union > 0 else 0.0


def _refuse_doctype(*_args: object) -> None:
    raise XmpError("The XMP metadata declares a document type, which XMP never needs (a hostile or broken "
                   "packet); it was ignored — rewrite the tags with a photo program to read them.")


def _parse_tree(data: bytes) -> tuple[ET.Element, dict[str, str]]:
    """The packet's root element and the prefixes it declared (``{uri: prefix}``)."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=_NS_SEP)
    # No DTD, no entities, no external anything: refused as soon as expat sees them.
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.ExternalEntityRefHandler = lambda *a: _refuse_doctype()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    builder = ET.TreeBuilder()
    prefixes: dict[str, str] = {}

    def name(raw: str) -> str:
        return "{" + raw if _NS_SEP in raw else raw

    depth = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:  # real packets nest about 10 deep; serialising is recursive
            raise XmpError(f"The XMP metadata nests elements more than {MAX_DEPTH} deep (a hostile or broken "
                           "packet); it was ignored.")
        builder.start(name(tag), {name(k): v for k, v in attrs.items()})

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(name(tag))

    parser.StartNamespaceDeclHandler = lambda prefix, uri: prefixes.setdefault(uri, prefix or "")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.ordered_attributes = False
    try:
        parser.Parse(data, True)
        root = builder.close()
    except xml.parsers.expat.ExpatError as exc:
        raise XmpError(f"The XMP metadata is not well-formed XML ({xml.parsers.expat.ErrorString(exc.code)}, "
                       f"line {exc.lineno}); it was ignored — rewrite the tags with a photo program to read them.") \
            from None
    except AssertionError:  # TreeBuilder: no element at all
        raise XmpError("The XMP metadata holds no XML element; it was ignored.") from None
    return root, prefixes


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _struct(node: ET.Element) -> ET.Element:
    """The element holding a struct's fields: ``node`` itself or its rdf:Description."""
    if node.get(_PARSE_TYPE) == "Resource":
        return node
    inner = node.find(_RDF_DESC)
    return inner if inner is not None else node


def _field(node: ET.Element, key: str) -> str | ET.Element | None:
    """A struct field: an attribute, a simple child's text, or a struct child."""
    if key in node.attrib:
        return node.attrib[key]
    child = node.find(key)
    if child is None:
        return None
    if len(child) or child.get(_PARSE_TYPE) == "Resource" or any(k not in (_PARSE_TYPE, f"{{{_XML_NS}}}lang")
                                                                    for k in child.attrib):
        return _struct(child)
    return (child.text or "").strip()


def _text(node: ET.Element, key: str) -> str:
    value = _field(node, key)
    return value.strip() if isinstance(value, str) else ""


def _items(node: ET.Element | str | None) -> list[ET.Element]:
    """The rdf:li structs of an array field."""
    if not isinstance(node, ET.Element):
        return []
    return [_struct(li) for array in node for li in array if li.tag == _RDF_LI]


def _clean(name: str, left: float, top: float, width: float, height: float, kind: str, form: str) -> Region | None:
    """A region clipped to the image, or None when nothing of it is inside (or it has no size)."""
    if not (width > 0 and height > 0):
        return None
    x0, y0 = max(0.0, left), max(0.0, top)
    x1, y1 = min(1.0, left + width), min(1.0, top + height)
    if x1 - x0 <= 1e-6 or y1 - y0 <= 1e-6:
        return None
    return Region(" ".join(name.split()), x0, y0, x1 - x0, y1 - y0, kind or "Face", form)


class Packet:
    """A parsed XMP packet: read its regions and orientation, add regions, serialise it."""

    def __init__(self, root: ET.Element, prefixes: dict[str, str]) -> None:
        self.root = root
        self.prefixes = prefixes
        #: Regions left out: outside the image, of no size, or beyond MAX_REGIONS.
        self.skipped = 0

    # -- reading ---------------------------------------------------------------
    def orientation(self) -> int | None:
        """tiff:Orientation (1–8) when the packet states one."""
        for description in self.root.iter(_RDF_DESC):
            value = _text(description, _q("tiff", "Orientation"))
            if value.isdigit() and 1 <= int(value) <= 8:
                return int(value)
        return None

    def applied_to(self) -> tuple[int, int] | None:
        """MWG AppliedToDimensions (w, h) in pixels, when stated."""
        for regions in self.root.iter(_q("mwg-rs", "Regions")):
            dims = _field(_struct(regions), _q("mwg-rs", "AppliedToDimensions"))
            if isinstance(dims, ET.Element):
                w, h = _number(_text(dims, _q("stDim", "w"))), _number(_text(dims, _q("stDim", "h")))
                if w and h and w > 0 and h > 0:
                    return int(w), int(h)
        return None

    def regions(self) -> list[Region]:
        """Every named or unnamed region: MWG first, then Microsoft regions that MWG does not already hold."""
        self.skipped = 0
        mwg = self._mwg()
        out = mwg + self._microsoft_only(mwg)
        if len(out) > MAX_REGIONS:
            self.skipped += len(out) - MAX_REGIONS
            out = out[:MAX_REGIONS]
        return out

    def _microsoft_only(self, mwg: list[Region]) -> list[Region]:
        """The Microsoft regions with no MWG region of the same name in the same place."""
        return [region for region in self._mp()
                if not any(r.name.casefold() == region.name.casefold() and r.iou(region) >= 0.3 for r in mwg)]

    def microsoft_only(self) -> list[Region]:
        """Regions the packet holds in the Microsoft form only (what MWG-only readers cannot see)."""
        skipped = self.skipped
        try:
            return self._microsoft_only(self._mwg())[:MAX_REGIONS]
        finally:
            self.skipped = skipped

    def _mwg(self) -> list[Region]:
        out: list[Region] = []
        for regions in self.root.iter(_q("mwg-rs", "Regions")):
            for item in _items(_field(_struct(regions), _q("mwg-rs", "RegionList"))):
                if len(out) > MAX_REGIONS:
                    self.skipped += 1
                    continue
                area = _field(item, _q("mwg-rs", "Area"))
                if not isinstance(area, ET.Element):
                    self.skipped += 1
                    continue
                x, y, w, h = (_number(_text(area, _q("stArea", k))) for k in "xywh")
                unit = _text(area, _q("stArea", "unit")) or "normalized"
                region = None
                if None not in (x, y, w, h) and unit == "normalized":
                    region = _clean(_text(item, _q("mwg-rs", "Name")), x - w / 2, y - h / 2, w, h,
                                    _text(item, _q("mwg-rs", "Type")) or "Face", "mwg")
                if region is None:
                    self.skipped += 1
                else:
                    out.append(region)
        return out

    def _mp(self) -> list[Region]:
        out: list[Region] = []
        for info in self.root.iter(_q("MP", "RegionInfo")):
            for item in _items(_field(_struct(info), _q("MPRI", "Regions"))):
                if len(out) > MAX_REGIONS:
                    self.skipped += 1
                    continue
                parts = [_number(p) for p in _text(item, _q("MPReg", "Rectangle")).split(",")]
                region = None
                if len(parts) == 4 and None not in parts:
                    region = _clean(_text(item, _q("MPReg", "PersonDisplayName")), *parts, "Face", "mp")
                if region is None:
                    self.skipped += 1
                else:
                    out.append(region)
        return out

    # -- Extended XMP (JPEG packets over 64 kB: XMP specification part 3, 1.1.3.1) ----
    def extended_guid(self) -> str | None:
        """The GUID of the Extended XMP this (standard) packet continues in (``xmpNote:HasExtendedXMP``), if any."""
        for description in self.root.iter(_RDF_DESC):
            value = _text(description, _q("xmpNote", "HasExtendedXMP")).upper()
            if value:
                return value if _GUID.fullmatch(value) else None
        return None

    def merge(self, extended: Packet) -> None:
        """Add the properties of ``extended`` (the Extended XMP this packet continues in) to this packet."""
        rdf = self._rdf()
        for description in list(extended.root.iter(_RDF_DESC)):
            rdf.append(description)
        for uri, prefix in extended.prefixes.items():
            self.prefixes.setdefault(uri, prefix)

    def split(self, limit: int) -> tuple[bytes, bytes | None]:
        """The packet serialised as (standard, extended): the standard part at most ``limit`` bytes, the
        largest properties moved to the Extended XMP until it fits (``extended`` None when all fits).

        The packet itself is changed (properties moved out, ``xmpNote:HasExtendedXMP`` set): serialise
        it once, for the writing.  Raises :class:`XmpError` when even the smallest standard part is too large.
        """
        note = _q("xmpNote", "HasExtendedXMP")
        for description in self.root.iter(_RDF_DESC):  # the packet read may have continued in one
            description.attrib.pop(note, None)
            for child in description.findall(note):
                description.remove(child)
        whole = self.serialise()
        if len(whole) <= limit:
            return whole, None
        descriptions = [d for d in self._rdf() if d.tag == _RDF_DESC]
        properties = sorted(((len(ET.tostring(child)), index, description, child)
                             for index, description in enumerate(descriptions) for child in description),
                            key=lambda item: (-item[0], item[1]))
        root = ET.Element(_q("x", "xmpmeta"), {_q("x", "xmptk"): "faceapp"})
        moved = ET.SubElement(ET.SubElement(root, _RDF_RDF), _RDF_DESC, {_q("rdf", "about"): ""})
        marker = ET.SubElement(descriptions[0], note)
        marker.text = "0" * 32  # the GUID's size, while measuring
        for _, _, description, child in properties:
            description.remove(child)
            moved.append(child)
            if len(self.serialise()) <= limit:
                break
        else:
            raise XmpError("The XMP metadata does not fit inside a JPEG even with Extended XMP.")
        extended = Packet(root, self.prefixes).serialise()
        marker.text = extended_guid_of(extended)
        return self.serialise(), extended

    def _rdf(self) -> ET.Element:
        rdf = self.root if self.root.tag == _RDF_RDF else self.root.find(f".//{_RDF_RDF}")
        if rdf is None:
            raise XmpError("The XMP metadata has no rdf:RDF element, so faceapp cannot add regions to it.")
        return rdf

    # -- writing ---------------------------------------------------------------
    def _description(self) -> ET.Element:
        """The rdf:Description to add properties to (created when the packet has none)."""
        rdf = self._rdf()
        description = rdf.find(_RDF_DESC)
        if description is None:
            description = ET.SubElement(rdf, _RDF_DESC, {_q("rdf", "about"): ""})
        return description

    def _list(self, outer: str, array_field: str, dims: tuple[int, int] | None) -> ET.Element:
        """The rdf:Bag of ``outer``'s region array, made when missing."""
        found = next(iter(self.root.iter(outer)), None)
        if found is None:
            found = ET.SubElement(self._description(), outer, {_PARSE_TYPE: "Resource"})
        struct = _struct(found)
        if dims is not None and outer == _q("mwg-rs", "Regions") and self.applied_to() is None:
            applied = ET.SubElement(struct, _q("mwg-rs", "AppliedToDimensions"), {_PARSE_TYPE: "Resource"})
            for key, value in (("w", str(dims[0])), ("h", str(dims[1])), ("unit", "pixel")):
                ET.SubElement(applied, _q("stDim", key)).text = value
        array = struct.find(array_field)
        if array is None:
            array = ET.SubElement(struct, array_field)
        bag = next((child for child in array if child.tag in (_RDF_BAG, _q("rdf", "Seq"))), None)
        if bag is None:
            bag = ET.SubElement(array, _RDF_BAG)
        return bag

    def add_regions(self, regions: list[Region], dims: tuple[int, int] | None, microsoft: bool = True) -> None:
        """Append ``regions`` (stored frame) in both forms (``microsoft`` False: in the MWG form only); ``dims``
        (stored w, h) becomes AppliedToDimensions when the packet states none."""
        if not regions:
            return
        mwg = self._list(_q("mwg-rs", "Regions"), _q("mwg-rs", "RegionList"), dims)
        mp = self._list(_q("MP", "RegionInfo"), _q("MPRI", "Regions"), None) if microsoft else None
        for region in regions:
            cx, cy = region.center
            li = ET.SubElement(mwg, _RDF_LI, {_PARSE_TYPE: "Resource"})
            area = ET.SubElement(li, _q("mwg-rs", "Area"), {_PARSE_TYPE: "Resource"})
            for key, value in (("x", cx), ("y", cy), ("w", region.width), ("h", region.height)):
                ET.SubElement(area, _q("stArea", key)).text = _decimal(value)
            ET.SubElement(area, _q("stArea", "unit")).text = "normalized"
            if region.name:  # an unnamed Microsoft region (someone not identified) has no MWG Name either
                ET.SubElement(li, _q("mwg-rs", "Name")).text = region.name
            ET.SubElement(li, _q("mwg-rs", "Type")).text = region.kind
            if mp is None or region.kind != "Face":
                continue  # Microsoft's regions are people only
            li = ET.SubElement(mp, _RDF_LI, {_PARSE_TYPE: "Resource"})
            ET.SubElement(li, _q("MPReg", "PersonDisplayName")).text = region.name
            ET.SubElement(li, _q("MPReg", "Rectangle")).text = ", ".join(
                _decimal(v) for v in (region.left, region.top, region.width, region.height))

    def serialise(self) -> bytes:
        """The packet as UTF-8 XML (an ``x:xmpmeta`` document, no ``<?xpacket?>`` wrapper)."""
        prefixes = dict(self.prefixes)
        for prefix, uri in NS.items():
            prefixes.setdefault(uri, prefix)
        used: dict[str, str] = {}
        for element in self.root.iter():
            for name in (element.tag, *element.attrib):
                uri = name[1:].split("}", 1)[0] if name.startswith("{") else None
                if uri is None or uri in used or uri == _XML_NS:
                    continue
                prefix = prefixes.get(uri) or "ns"
                if prefix in used.values():  # two namespaces declared with one prefix in different places
                    prefix = next(f"{prefix}{n}" for n in range(1, 10_000) if f"{prefix}{n}" not in used.values())
                used[uri] = prefix
        return b"".join(self._write(self.root, used, top=True)).rstrip() + b"\n"

    def _write(self, element: ET.Element, prefixes: dict[str, str], top: bool = False, depth: int = 0):
        def qname(name: str) -> str:
            if not name.startswith("{"):
                return name
            uri, local = name[1:].split("}", 1)
            return f"xml:{local}" if uri == _XML_NS else f"{prefixes[uri]}:{local}"

        pad = " " * depth
        attrs = [(qname(k), v) for k, v in element.attrib.items()]
        if top:
            attrs = [(f"xmlns:{p}", uri) for uri, p in prefixes.items()] + attrs
        head = pad + "<" + qname(element.tag) + "".join(f' {k}="{_escape(v, True)}"' for k, v in attrs)
        text = (element.text or "").strip()
        if not len(element) and not text:
            yield (head + "/>\n").encode()
        elif not len(element):
            yield (head + ">" + _escape(element.text or "") + "</" + qname(element.tag) + ">\n").encode()
        else:
            yield (head + ">\n").encode()
            for child in element:
                yield from self._write(child, prefixes, depth=depth + 1)
            yield (pad + "</" + qname(element.tag) + ">\n").encode()


def _decimal(value: float) -> str:
    """Six decimals (a millionth of the side: finer than any pixel), without trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def _escape(text: str, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;").replace("\n", "&#10;") if attribute else text


def parse(data: bytes | str) -> Packet:
    """Parse an XMP packet (with or without its ``<?xpacket?>`` wrapper); raises :class:`XmpError` in one sentence."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_PACKET_BYTES:
        raise XmpError(f"The XMP metadata is {len(raw) // (1024 * 1024)} MB, more than the "
                       f"{MAX_PACKET_BYTES // (1024 * 1024)} MB faceapp reads; it was ignored.")
    raw = raw.strip(b"\x00 \t\r\n")
    if not raw:
        raise XmpError("The XMP metadata is empty; it was ignored.")
    root, prefixes = _parse_tree(raw)
    return Packet(root, prefixes)


def new_packet() -> Packet:
    """An empty XMP packet (x:xmpmeta / rdf:RDF / one rdf:Description)."""
    root = ET.Element(_q("x", "xmpmeta"), {_q("x", "xmptk"): "faceapp"})
    rdf = ET.SubElement(root, _RDF_RDF)
    ET.SubElement(rdf, _RDF_DESC, {_q("rdf", "about"): ""})
    return Packet(root, {uri: prefix for prefix, uri in NS.items()})
