"""``faceapp-cli``: faces, identities and verdicts for photos, and your own people in a library.

Exit status: 0 success (whatever the verdict), 2 bad input or usage,
3 model files missing, 1 an internal error (a bug: run with --debug and report it),
130 interrupted (Ctrl+C; a scan keeps what it finished).

The JSON shapes of every command are documented in README.md; keep them in step.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Any

from faceapp import __version__
from faceapp.core.defaults import CROP_RECIPES, DEFAULT_CROP, DEFAULT_MODEL
from faceapp.core.errors import DownloadCancelled, FaceAppError, ModelFilesMissing
from faceapp.core.vggface.catalog import MODELS

__all__ = ["main", "entry_point", "build_parser", "UsageError", "EXIT_OK", "EXIT_INTERNAL", "EXIT_INPUT", "EXIT_MODELS"]

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_MODELS, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(FaceAppError):
    """Bad arguments found after parsing (e.g. a face number out of range)."""


def common_options(parser: argparse.ArgumentParser, model_options: bool = True, aligned: bool = True) -> None:
    """The options every command shares (``model_options``: --model/--crop, and --aligned when ``aligned``)."""
    if model_options:
        parser.add_argument("--model", choices=list(MODELS), default=DEFAULT_MODEL,
                            help=f"model to use (default {DEFAULT_MODEL})")
        parser.add_argument("--crop", choices=CROP_RECIPES, default=DEFAULT_CROP,
                            help=f"face crop recipe (default {DEFAULT_CROP})")
        if aligned:
            parser.add_argument("--aligned", action="store_true",
                                help="the photos already are face crops: no detection, resized to the model's input size")
    parser.add_argument("--models-dir", metavar="DIR", help="folder holding the model files (searched alone)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (schema in README.md)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    """Print ``payload`` as JSON with --json, else ``text``.

    A file name that is not valid UTF-8 shows its odd bytes as ``\\xab`` in both (pathtext.py), so the
    JSON stays valid UTF-8 and printing never fails on such a name."""
    from faceapp.core.library.pathtext import without_surrogates

    if args.json:
        print(json.dumps(_printable(payload), indent=2, ensure_ascii=False))
    elif text:
        print(without_surrogates(text))


def _printable(value: Any) -> Any:
    from faceapp.core.library.pathtext import without_surrogates

    if isinstance(value, str):
        return without_surrogates(value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(v) for v in value]
    return value


def error_object(exc: BaseException) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ModelFilesMissing):
        entry["missing"] = list(exc.missing)
    return entry


def build_parser() -> argparse.ArgumentParser:
    from faceapp.cli import evaluate, library, photos

    parser = argparse.ArgumentParser(prog="faceapp-cli", description="Faces, VGGFace2 identities, same-person "
                                     "verdicts, and your own people in a photo library.")
    parser.add_argument("--version", action="version", version=f"faceapp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    photos.add_commands(commands)
    library.add_commands(commands)
    evaluate.add_commands(commands)
    return parser

def _fail(args: argparse.Namespace, exc: BaseException, status: int) -> int:
    from faceapp.core.library.pathtext import without_surrogates

    print(without_surrogates(f"faceapp-cli: {exc}"), file=sys.stderr)
    if getattr(args, "debug", False):
        traceback.print_exception(exc)
    if getattr(args, "json", False):
        print(json.dumps(_printable({"error": error_object(exc)}), indent=2, ensure_ascii=False))
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``faceapp-cli``; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ModelFilesMissing as exc:
        return _fail(args, exc, EXIT_MODELS)
    except DownloadCancelled as exc:
        return _fail(args, exc, EXIT_INPUT)
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


