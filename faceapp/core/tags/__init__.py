"""Face tags in photos' XMP metadata: read (import names) and write (export names), Qt-free.

:mod:`.xmp` parses and serialises packets safely; :mod:`.regions` moves regions
between the stored image and the photo as displayed (EXIF orientation);
:mod:`.embedded` and :mod:`.sidecar` find and write the packets (and decide what
wins); :mod:`.importer` and :mod:`.exporter` hold the library's rules.
"""

from __future__ import annotations
