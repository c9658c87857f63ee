"""``faceapp-cli tags import|export``: names from and to the face tags (XMP regions) of photos.

Thin front-ends over :mod:`faceapp.core.tags`; the JSON shapes are in README.md.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from faceapp.cli.common import EXIT_INPUT, EXIT_OK, common_options, emit

__all__ = ["add_commands", "add_scan_option", "import_after_scan"]


def add_commands(commands: Any) -> None:
    """Add ``tags import`` and ``tags export`` to ``faceapp-cli``'s sub-parsers."""
    tags = commands.add_parser("tags", help="names from and to photos' face tags (digiKam, Lightroom, Picasa, "
                                             "Windows: XMP regions)")
    actions = tags.add_subparsers(dest="action", required=True, metavar="ACTION")
    read = actions.add_parser("import", help="name faces from the photos' face tags (new photos are scanned first)")
    read.add_argument("paths", nargs="+", metavar="PATH", help="photos or folders")
    _library_option(read)
    common_options(read, model_options=True, aligned=False)
    write = actions.add_parser("export", help="write the library's names as face tags into sidecars "
                                              "(photo.jpg.xmp), or into JPEG photos with --embed")
    write.add_argument("paths", nargs="*", metavar="PATH", help="photos or folders (default: every named photo)")
    write.add_argument("--person", metavar="NAME", help="only this person's faces")
    write.add_argument("--embed", action="store_true",
                       help="write into the photos themselves (JPEG only; every other metadata field is kept)")
    _library_option(write)
    common_options(write, model_options=False)
    tags.set_defaults(handler=cmd_tags)


def _library_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--library", metavar="DB", help="the library file (default: $FACEAPP_LIBRARY, "
                                                         "else library.sqlite in faceapp's user data folder)")


def add_scan_option(scan: argparse.ArgumentParser) -> None:
    """``scan --read-tags``."""
    scan.add_argument("--read-tags", action="store_true",
                      help="then import names from the photos' face tags (as 'tags import')")


def import_after_scan(args: argparse.Namespace, library: Any) -> Any:
    """The tags import of ``scan --read-tags`` (the scan already ran): its summary, or None without the option."""
    if not getattr(args, "read_tags", False):
        return None
    from faceapp.core.tags.importer import import_tags

    return import_tags(library, args.folders, args.model, args.crop, args.models_dir, scan=False)


def _problems(lines: list[str], photos: list[Any], errors: list[tuple[str, str]]) -> None:
    for photo in photos:
        lines += getattr(photo, "problems", [])
    lines += [message for _, message in errors]


def cmd_tags(args: argparse.Namespace) -> int:
    from faceapp.core.library import Library

    with Library.open(args.library, create=args.action == "import") as library:
        if args.action == "import":
            from faceapp.core.tags.importer import import_tags

            summary = import_tags(library, args.paths, args.model, args.crop, args.models_dir)
            lines = [summary.text()]
            _problems(lines, summary.photos, summary.errors)
            emit(args, {"command": "tags import", "library": str(library.path), **summary.as_dict()}, "\n".join(lines))
            return EXIT_INPUT if summary.errors and not summary.photos else EXIT_OK
        from faceapp.core.tags.exporter import export_tags

        summary = export_tags(library, args.paths, args.person, args.embed)
        emit(args, {"command": "tags export", "library": str(library.path), **summary.as_dict()}, summary.text())
        if not args.json:
            for photo in summary.photos:
                if photo.problem:
                    print(f"faceapp-cli: {photo.problem}", file=sys.stderr)
        return EXIT_INPUT if summary.photos and all(p.problem for p in summary.photos) else EXIT_OK
