"""``faceapp-cli``: faces, identities and verdicts for photos, and your own people in a library.

Exit status: 0 success (whatever the verdict), 2 bad input or usage,
3 model files missing, 1 an internal error (a bug: run with --debug and report it),
130 interrupted (Ctrl+C; a scan keeps what it finished).

The JSON shapes of every command are documented in README.md; keep them in step.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback

from faceapp import __version__
from faceapp.cli.common import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_MODELS,
    error_object,
    printable,
)
from faceapp.core.errors import FaceAppError, ModelFilesMissing

__all__ = ["main", "entry_point", "build_parser"]

def build_parser() -> argparse.ArgumentParser:
    from faceapp.cli import (  # their modules import only faceapp.cli.common
        evaluate,
        library,
        photos,
        tags,
    )

    parser = argparse.ArgumentParser(prog="faceapp-cli", description="Faces, VGGFace2 identities, same-person "
                                     "verdicts, and your own people in a photo library.")
    parser.add_argument("--version", action="version", version=f"faceapp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    photos.add_commands(commands)
    library.add_commands(commands)
    tags.add_commands(commands)
    evaluate.add_commands(commands)
    return parser

def _fail(args: argparse.Namespace, exc: BaseException, status: int) -> int:
    from faceapp.core.library.pathtext import without_surrogates

    print(without_surrogates(f"faceapp-cli: {exc}"), file=sys.stderr)  # a message may name an odd file
    if getattr(args, "debug", False):
        traceback.print_exception(exc)
    if getattr(args, "json", False):
        print(json.dumps(printable({"error": error_object(exc)}), indent=2, ensure_ascii=False))
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``faceapp-cli``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ModelFilesMissing as exc:
        return _fail(args, exc, EXIT_MODELS)
    except FaceAppError as exc:
        return _fail(args, exc, EXIT_INPUT)
    except KeyboardInterrupt:
        print("faceapp-cli: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one sentence, no traceback
        wrapped = RuntimeError(f"internal error ({type(exc).__name__}: {exc}); run again with --debug and report it")
        if getattr(args, "debug", False):
            traceback.print_exception(exc)
        return _fail(args, wrapped, EXIT_INTERNAL)


def entry_point() -> None:
    sys.exit(main())


