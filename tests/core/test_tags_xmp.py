"""XMP packets: both region forms, struct spellings, safe parsing of hostile packets, editing keeps the rest."""

from __future__ import annotations

import time

import pytest

from faceapp.core.tags import xmp
from faceapp.core.tags.xmp import Region, XmpError, parse

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
NSS = ('xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
       'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#" '
       'xmlns:MP="http://ns.microsoft.com/photo/1.2/" xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#" '
       'xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
       'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:other="http://example.com/other/"')


def packet(body: str) -> str:
    return (f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            f'<rdf:RDF {RDF}><rdf:Description rdf:about="" {NSS}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>'
            '<?xpacket end="w"?>')


def mwg_item(name: str, x: float, y: float, w: float, h: float, kind: str = "Face") -> str:
    return (f'<rdf:li rdf:parseType="Resource"><mwg-rs:Area stArea:x="{x}" stArea:y="{y}" stArea:w="{w}" '
            f'stArea:h="{h}" stArea:unit="normalized"/><mwg-rs:Name>{name}</mwg-rs:Name>'
            f'<mwg-rs:Type>{kind}</mwg-rs:Type></rdf:li>')


def mwg(*items: str) -> str:
    return ('<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:AppliedToDimensions stDim:w="400" stDim:h="300" '
            f'stDim:unit="pixel"/><mwg-rs:RegionList><rdf:Bag>{"".join(items)}</rdf:Bag></mwg-rs:RegionList>'
            '</mwg-rs:Regions>')


def test_mwg_centre_and_microsoft_corner_forms_read_alike():
    body = mwg(mwg_item("Anna", 0.5, 0.5, 0.2, 0.4)) + (
        '<MP:RegionInfo><rdf:Description><MPRI:Regions><rdf:Bag><rdf:li><rdf:Description '
        'MPReg:PersonDisplayName="Bob" MPReg:Rectangle="0.1, 0.2, 0.1, 0.1"/></rdf:li>'
        '<rdf:li MPReg:PersonDisplayName="Anna" MPReg:Rectangle="0.4, 0.3, 0.2, 0.4"/>'
        '</rdf:Bag></MPRI:Regions></rdf:Description></MP:RegionInfo><tiff:Orientation>6</tiff:Orientation>')
    parsed = parse(packet(body))
    regions = parsed.regions()
    assert [r.name for r in regions] == ["Anna", "Bob"]  # Anna in both forms counts once
    anna, bob = regions
    assert (anna.left, anna.top, anna.width, anna.height) == pytest.approx((0.4, 0.3, 0.2, 0.4))
    assert (bob.left, bob.top, bob.width, bob.height, bob.form) == pytest.approx((0.1, 0.2, 0.1, 0.1, "mp"))
    assert parsed.orientation() == 6 and parsed.applied_to() == (400, 300)


def test_bad_regions_are_clipped_or_left_out_and_counted():
    parsed = parse(packet(mwg(mwg_item("Out", 1.5, 1.5, 0.2, 0.2), mwg_item("Zero", 0.5, 0.5, 0, 0.1),
                              mwg_item("Edge", 0.95, 0.5, 0.2, 0.2), mwg_item("NaN", "nan", 0.5, 0.1, 0.1),
                              mwg_item("Neg", 0.5, 0.5, -0.1, 0.1), mwg_item("Pet", 0.3, 0.3, 0.1, 0.1, "Pet"))))
    regions = parsed.regions()
    assert [r.name for r in regions] == ["Edge", "Pet"] and parsed.skipped == 4
    edge = regions[0]
    assert edge.left + edge.width == pytest.approx(1.0) and edge.width == pytest.approx(0.15)
    assert regions[1].kind == "Pet"


def test_thousands_of_regions_are_capped_quickly():
    items = "".join(mwg_item(f"P{i}", 0.5, 0.5, 0.01, 0.01) for i in range(5000))
    started = time.perf_counter()
    parsed = parse(packet(mwg(items)))
    regions = parsed.regions()
    assert len(regions) == xmp.MAX_REGIONS and parsed.skipped == 5000 - xmp.MAX_REGIONS
    assert time.perf_counter() - started < 30  # a guard against a hang, not a speed claim


@pytest.mark.parametrize("hostile", [
    # billion laughs
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&lol3;</x:xmpmeta>',
    # external entity
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">&xxe;</x:xmpmeta>',
    # external DTD
    '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
])
def test_hostile_packets_are_refused_in_one_sentence(hostile):
    with pytest.raises(XmpError, match="document type") as caught:
        parse(hostile)
    assert "\n" not in str(caught.value) and "passwd" not in str(caught.value)


@pytest.mark.parametrize("broken, words", [
    ("<x:xmpmeta xmlns:x='adobe:ns:meta/'><unclosed></x:xmpmeta>", "not well-formed"),
    ("<a:b>undeclared prefix</a:b>", "not well-formed"),
    ("", "empty"),
    ("just text", "not well-formed"),
])
def test_malformed_packets_are_one_sentence(broken, words):
    with pytest.raises(XmpError, match=words):
        parse(broken)


def test_absurd_nesting_is_refused():
    with pytest.raises(XmpError, match="nests elements more than 64 deep"):
        parse("<a>" * 10_000 + "</a>" * 10_000)


def test_a_50_mb_packet_is_refused_before_parsing():
    huge = packet("<xmp:Label>" + "x" * (50 * 1024 * 1024) + "</xmp:Label>")
    with pytest.raises(XmpError, match="50 MB, more than"):
        parse(huge)


def test_adding_regions_keeps_everything_else():
    original = packet(mwg(mwg_item("Pet", 0.3, 0.3, 0.1, 0.1, "Pet")) +
                      '<xmp:Rating>4</xmp:Rating><other:Thing other:attr="kept">value &amp; more</other:Thing>'
                      '<tiff:Orientation>8</tiff:Orientation>')
    parsed = parse(original)
    parsed.add_regions([Region("Zoë", 0.1, 0.2, 0.3, 0.4)], (400, 300))
    again = parse(parsed.serialise())
    names = [(r.name, r.kind, r.form) for r in again.regions()]
    assert names == [("Pet", "Pet", "mwg"), ("Zoë", "Face", "mwg")]
    zoe = again.regions()[1]
    assert (zoe.left, zoe.top, zoe.width, zoe.height) == pytest.approx((0.1, 0.2, 0.3, 0.4))
    assert again.orientation() == 8 and again.applied_to() == (400, 300)
    text = parsed.serialise().decode()
    assert "<xmp:Rating>4</xmp:Rating>" in text and 'other:attr="kept"' in text and "value &amp; more" in text
    assert 'xmlns:other="http://example.com/other/"' in text
    assert "0.1, 0.2, 0.3, 0.4" in text  # the Microsoft form: top-left corner


def test_new_packet_gets_both_forms():
    fresh = xmp.new_packet()
    fresh.add_regions([Region("Ann", 0.25, 0.25, 0.5, 0.5)], (10, 20))
    again = parse(fresh.serialise())
    assert [(r.name, r.form) for r in again.regions()] == [("Ann", "mwg")]
    assert list(again._mp()) and again._mp()[0].name == "Ann"
    assert again.applied_to() == (10, 20)


def test_microsoft_only_regions_get_an_mwg_copy_and_keep_their_own_form():
    body = mwg(mwg_item("Anna", 0.5, 0.5, 0.2, 0.4)) + (
        '<MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>'
        '<rdf:li MPReg:PersonDisplayName="Anna" MPReg:Rectangle="0.4, 0.3, 0.2, 0.4"/>'
        '<rdf:li MPReg:PersonDisplayName="Bob" MPReg:Rectangle="0.1, 0.2, 0.1, 0.1"/>'
        '<rdf:li MPReg:Rectangle="0.7, 0.7, 0.1, 0.1"/></rdf:Bag></MPRI:Regions></MP:RegionInfo>')
    parsed = parse(packet(body))
    only = parsed.microsoft_only()
    assert [(r.name, r.form) for r in only] == [("Bob", "mp"), ("", "mp")]  # Anna is in both forms already
    parsed.add_regions(only, None, microsoft=False)
    again = parse(parsed.serialise())
    assert [(r.name, r.form) for r in again._mwg()] == [("Anna", "mwg"), ("Bob", "mwg"), ("", "mwg")]
    assert len(again._mp()) == 3 and again.microsoft_only() == []  # the Microsoft form unchanged
    bob = again._mwg()[1]
    assert (bob.left, bob.top, bob.width, bob.height) == pytest.approx((0.1, 0.2, 0.1, 0.1))
    assert "<mwg-rs:Name></mwg-rs:Name>" not in parsed.serialise().decode()
