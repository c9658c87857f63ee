"""File paths as the library stores them, and as faceapp shows them.

On Linux a file name is bytes, and not every name is valid UTF-8 (old FAT disks,
archives made elsewhere).  Python gives such a name as ``str`` with the bad
bytes turned into lone surrogates (``os.fsdecode``'s ``surrogateescape``); SQLite
(and PostgreSQL) text cannot hold those.  So the library stores a path as text
with one reversible, per-character escape:

* a surrogate-escaped byte ``0xAB`` (``U+DCAB``) is stored as ``U+FFFD`` + ``"AB"``;
* a real ``U+FFFD`` (the replacement character) is stored as ``U+FFFD U+FFFD``.

Every other character is stored as it is, so ordinary paths are unchanged in the
file (no migration) and a folder's stored text is a prefix of its photos' stored
text (``photos_under`` keeps working).  Decoding gives back the exact ``str``
``os.walk`` produced, so the file can be opened again.

For people, :func:`shown` writes the bad bytes as ``\\xab`` and control characters
(a newline in a name) as ``\\n``, so one path stays on one line of text output and
JSON output stays valid UTF-8.
"""

from __future__ import annotations

__all__ = ["to_stored", "from_stored", "shown", "without_surrogates"]

_MARK = "\ufffd"
_CONTROL = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def to_stored(path: str) -> str:
    """``path`` as the library stores it (unchanged unless it holds undecodable bytes or U+FFFD)."""
    if _MARK not in path and not any("\udc80" <= c <= "\udcff" for c in path):
        return path  # the common case: nothing to escape
    out = []
    for char in path:
        if char == _MARK:
            out.append(_MARK + _MARK)
        elif "\udc80" <= char <= "\udcff":
            out.append(f"{_MARK}{ord(char) - 0xDC00:02X}")
        else:
            out.append(char)
    return "".join(out)


def from_stored(text: str) -> str:
    """The path ``to_stored`` was given."""
    if _MARK not in text:
        return text
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char != _MARK:
            out.append(char)
            index += 1
        elif text[index + 1:index + 2] == _MARK:
            out.append(_MARK)
            index += 2
        else:
            out.append(chr(0xDC00 + int(text[index + 1:index + 3], 16)))
            index += 3
    return "".join(out)


def shown(text: str) -> str:
    """``text`` (a path, a name, a message naming one) for a person: undecodable bytes as ``\\xab``,
    control characters escaped, so it is one line of valid UTF-8."""
    if text.isprintable() and not any("\udc80" <= c <= "\udfff" for c in text):
        return text
    out = []
    for char in text:
        if "\udc80" <= char <= "\udcff":
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif "\ud800" <= char <= "\udfff":
            out.append(f"\\u{ord(char):04x}")
        elif char in _CONTROL:
            out.append(_CONTROL[char])
        elif not char.isprintable() and char != " ":
            out.append(f"\\u{ord(char):04x}" if ord(char) > 0xFF else f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


def without_surrogates(text: str) -> str:
    """``text`` with undecodable bytes written ``\\xab`` and nothing else changed: what any output
    (a terminal, a UTF-8 JSON document) can hold.  Newlines stay (JSON escapes them itself)."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return "".join(f"\\x{ord(c) - 0xDC00:02x}" if "\udc80" <= c <= "\udcff"
                   else f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in text)
