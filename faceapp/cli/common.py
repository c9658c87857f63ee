"""What every ``faceapp-cli`` command shares: exit statuses, common options, output, the engine.

Each sub-command module (photos, library, evaluate) imports from here; the
package's ``__init__`` only builds the parser and runs a command, so nothing
imports back into it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from faceapp.core.defaults import CROP_RECIPES, DEFAULT_CROP, DEFAULT_MODEL, DEFAULT_TOP
from faceapp.core.errors import FaceAppError, ModelFilesMissing
from faceapp.core.vggface.catalog import MODELS

__all__ = ["UsageError", "EXIT_OK", "EXIT_INTERNAL", "EXIT_INPUT", "EXIT_MODELS", "EXIT_INTERRUPTED",
           "common_options", "emit", "error_object", "load_engine"]

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
    """Print ``payload`` as JSON with --json, else ``text``."""
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    elif text:
        print(text)


def error_object(exc: BaseException) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ModelFilesMissing):
        entry["missing"] = list(exc.missing)
    return entry


def load_engine(args: argparse.Namespace) -> Any:
    """The engine for the command's --model/--crop/--models-dir (and --top), loaded."""
    from faceapp.core.engine import Engine

    engine = Engine(model=args.model, crop=args.crop, models_dir=args.models_dir, top=getattr(args, "top", DEFAULT_TOP))
    engine.load()
    return engine
