"""``faceapp-cli``: detect, identify, embed and verify faces from the command line.

Exit status: 0 success (whatever the verdict), 2 bad input or usage,
3 model files missing, 1 an internal error (a bug: run with --debug and report it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

from faceapp import __version__
from faceapp.core.defaults import CROP_RECIPES, DEFAULT_CROP, DEFAULT_MODEL, DEFAULT_THRESHOLD, DEFAULT_TOP
from faceapp.core.errors import DownloadCancelled, FaceAppError, ModelFilesMissing
from faceapp.core.vggface.catalog import MODELS

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_MODELS = 0, 1, 2, 3


class UsageError(FaceAppError):
    """Bad arguments found after parsing (e.g. a face number out of range)."""


def _common(parser: argparse.ArgumentParser, model_options: bool = True) -> None:
    if model_options:
        parser.add_argument("--model", choices=list(MODELS), default=DEFAULT_MODEL,
                            help=f"model to use (default {DEFAULT_MODEL})")
        parser.add_argument("--crop", choices=CROP_RECIPES, default=DEFAULT_CROP,
                            help=f"face crop recipe (default {DEFAULT_CROP})")
        parser.add_argument("--aligned", action="store_true",
                            help="the photos already are face crops: no detection, resized to the model's input size")
    parser.add_argument("--models-dir", metavar="DIR", help="folder holding the model files (searched alone)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (schema in README.md)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceapp-cli", description="Faces, VGGFace2 identities and same-person verdicts.")
    parser.add_argument("--version", action="version", version=f"faceapp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    detect = commands.add_parser("detect", help="box every face")
    detect.add_argument("images", nargs="+", metavar="IMG")
    _common(detect, model_options=False)

    identify = commands.add_parser("identify", help="every face and its most likely identities")
    identify.add_argument("images", nargs="+", metavar="IMG")
    identify.add_argument("--top", type=int, default=DEFAULT_TOP, help=f"identities per face (default {DEFAULT_TOP})")
    _common(identify)

    embed = commands.add_parser("embed", help="every face with its descriptor")
    embed.add_argument("images", nargs="+", metavar="IMG")
    _common(embed)

    verify = commands.add_parser("verify", help="are two faces the same person?")
    verify.add_argument("image_a", metavar="IMG_A")
    verify.add_argument("image_b", metavar="IMG_B")
    verify.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help=f"largest cosine distance judged a match (default {DEFAULT_THRESHOLD})")
    verify.add_argument("--face-a", type=int, metavar="I", help="face number in IMG_A (from 1, left to right; default: the largest)")
    verify.add_argument("--face-b", type=int, metavar="J", help="face number in IMG_B (default: the largest)")
    _common(verify)

    models = commands.add_parser("models", help="list, locate, download or import model files")
    actions = models.add_subparsers(dest="action", required=True, metavar="ACTION")
    _common(actions.add_parser("list", help="which model files are where"), model_options=False)
    _common(actions.add_parser("path", help="the folders searched, and where downloads go"), model_options=False)
    download = actions.add_parser("download", help="download a model's files (asks nothing)")
    download.add_argument("name", choices=list(MODELS))
    download.add_argument("--notop", action="store_true", help="the smaller descriptor-only file (no identities)")
    _common(download, model_options=False)
    imported = actions.add_parser("import", help="validate a weights or labels file and copy it in")
    imported.add_argument("file")
    _common(imported, model_options=False)
    return parser


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    elif text:
        print(text)


def _error_object(exc: BaseException) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ModelFilesMissing):
        entry["missing"] = list(exc.missing)
    return entry


def _engine(args: argparse.Namespace) -> Any:
    from faceapp.core.engine import Engine

    engine = Engine(model=args.model, crop=args.crop, models_dir=args.models_dir, top=getattr(args, "top", DEFAULT_TOP))
    engine.load()
    return engine


def _for_each_photo(args: argparse.Namespace, work: Callable[[Any], tuple[dict[str, Any], str]]) -> tuple[list[dict[str, Any]], int]:
    """Run ``work(image)`` on every photo; a failing photo gets an error entry, the rest go on."""
    from faceapp.core.images import load_image

    entries, status = [], EXIT_OK
    for path in args.images:
        try:
            entry, text = work(load_image(path))
            entry = {"path": path, **entry}
            if not args.json:
                print(text.replace("\0", Path(path).name))
        except FaceAppError as exc:
            print(f"faceapp-cli: {exc}", file=sys.stderr)
            entry, status = {"path": path, "error": _error_object(exc)}, EXIT_INPUT
        entries.append(entry)
    return entries, status


def cmd_detect(args: argparse.Namespace) -> int:
    import time

    from faceapp.core.detection import FaceDetector
    from faceapp.core.report import detection_dict, detection_text

    detector = FaceDetector()

    def work(image: Any) -> tuple[dict[str, Any], str]:
        start = time.perf_counter()
        faces = detector.detect(image)
        elapsed = round((time.perf_counter() - start) * 1000.0, 1)
        dicts = [detection_dict(face, number) for number, face in enumerate(faces, start=1)]
        return ({"width": image.shape[1], "height": image.shape[0], "faces": dicts,
                 "timings_ms": {"detect": elapsed, "total": elapsed}}, detection_text("\0", faces))

    photos, status = _for_each_photo(args, work)
    if args.json:
        _emit(args, {"command": "detect", "photos": photos}, "")
    return status


def _analyse_command(args: argparse.Namespace, descriptor: bool) -> int:
    from faceapp.core.report import analysis_dict, analysis_text

    if getattr(args, "top", DEFAULT_TOP) < 0:
        raise UsageError(f"--top must be 0 or more, got {args.top}; give a number of identities.")
    engine = _engine(args)

    def work(image: Any) -> tuple[dict[str, Any], str]:
        result = engine.analyze(image, aligned=args.aligned)
        entry = analysis_dict("", result, descriptor=descriptor)
        del entry["path"]
        return entry, analysis_text("\0", result, identities=not descriptor)

    photos, status = _for_each_photo(args, work)
    if args.json:
        _emit(args, {"command": args.command, "model": args.model, "crop": "aligned" if args.aligned else args.crop,
                     "identities_available": engine.model.has_identities, "photos": photos}, "")
    return status


def _chosen_face(result: Any, number: int | None, path: str, option: str) -> tuple[int, str]:
    from faceapp.core.errors import ImageLoadError

    name = Path(path).name
    if not result.faces:
        raise ImageLoadError(f"No face found in '{name}'; choose a photo where a face is clearly visible.")
    if number is None:
        index = result.largest_face_index()
        how = "largest"
    else:
        if not 1 <= number <= len(result.faces):
            raise UsageError(f"{option} {number} is out of range: '{name}' has {len(result.faces)} "
                             f"face{'s' if len(result.faces) != 1 else ''}; give a number from 1 to {len(result.faces)}.")
        index, how = number - 1, "chosen"
    return index, how


def cmd_verify(args: argparse.Namespace) -> int:
    from faceapp.core.images import load_image
    from faceapp.core.report import face_dict, verdict_text
    from faceapp.core.verification import cosine_distance, judge, validate_threshold

    try:
        threshold = validate_threshold(args.threshold)
    except ValueError as exc:
        raise UsageError(f"{exc}; give --threshold between 0 and 1.") from None
    images = [load_image(args.image_a), load_image(args.image_b)]  # bad files fail before the model loads
    engine = _engine(args)
    sides = []
    for path, image, number, option in ((args.image_a, images[0], args.face_a, "--face-a"),
                                        (args.image_b, images[1], args.face_b, "--face-b")):
        result = engine.analyze(image, aligned=args.aligned)
        index, how = _chosen_face(result, number, path, option)
        sides.append((path, result, index, how))
    distance = cosine_distance(sides[0][1].faces[sides[0][2]].descriptor, sides[1][1].faces[sides[1][2]].descriptor)
    verdict = judge(distance, threshold)
    labels = [f"face {index + 1} ({how}) of {Path(path).name}" for path, _, index, how in sides]
    payload: dict[str, Any] = {
        "command": "verify", "model": args.model, "crop": "aligned" if args.aligned else args.crop,
        "distance": round(verdict.distance, 6), "similarity": round(verdict.similarity, 6),
        "threshold": verdict.threshold, "match": verdict.match,
    }
    for key, (path, result, index, how) in zip(("face_a", "face_b"), sides):
        face = face_dict(result.faces[index], index + 1)
        payload[key] = {"path": path, "number": index + 1, "chosen_by": how, "faces_found": len(result.faces),
                        "box": face["box"], "confidence": face["confidence"], "identities": face["identities"],
                        "timings_ms": dict(result.timings_ms)}
    _emit(args, payload, verdict_text(verdict, labels[0], labels[1]))
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from faceapp.core.vggface import store
    from faceapp.paths import models_search_dirs

    if args.action == "list":
        rows = store.model_status(args.models_dir)
        lines = []
        for row in rows:
            lines.append(f"{row['name']:<9} {row['title']}, {row['classes']} identities, about {row['approx_mb']} MB")
            for filename, found in row["files"].items():  # type: ignore[union-attr]
                lines.append(f"    {filename:<40} {found or 'not found'}")
        _emit(args, {"command": "models list", "models": rows}, "\n".join(lines))
    elif args.action == "path":
        dirs = [str(d) for d in models_search_dirs(args.models_dir)]
        target = str(store.default_target_dir(args.models_dir))
        _emit(args, {"command": "models path", "search": dirs, "download_to": target},
              "searched, in order:\n" + "\n".join(f"  {d}" for d in dirs) + f"\ndownloads go to:\n  {target}")
    elif args.action == "download":
        def progress(filename: str, done: int, total: int | None) -> None:
            if not args.json:
                shown = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
                print(f"\r{filename}: {shown}", end="", file=sys.stderr, flush=True)

        paths = store.download_model(args.name, include_top=not args.notop, models_dir=args.models_dir, progress=progress)
        if not args.json:
            print(file=sys.stderr)
        _emit(args, {"command": "models download", "files": [str(p) for p in paths]},
              "\n".join(f"ready: {p}" for p in paths))
    else:
        path = store.import_file(args.file, args.models_dir)
        _emit(args, {"command": "models import", "file": str(path)}, f"imported: {path}")
    return EXIT_OK


def _fail(args: argparse.Namespace, exc: BaseException, status: int) -> int:
    print(f"faceapp-cli: {exc}", file=sys.stderr)
    if getattr(args, "debug", False):
        traceback.print_exception(exc)
    if getattr(args, "json", False):
        print(json.dumps({"error": _error_object(exc)}, indent=2, ensure_ascii=False))
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``faceapp-cli``; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    args = build_parser().parse_args(argv)
    handlers = {"detect": cmd_detect, "identify": lambda a: _analyse_command(a, False),
                "embed": lambda a: _analyse_command(a, True), "verify": cmd_verify, "models": cmd_models}
    try:
        return handlers[args.command](args)
    except ModelFilesMissing as exc:
        return _fail(args, exc, EXIT_MODELS)
    except DownloadCancelled as exc:
        return _fail(args, exc, EXIT_INPUT)
    except FaceAppError as exc:
        return _fail(args, exc, EXIT_INPUT)
    except KeyboardInterrupt:
        print("faceapp-cli: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one sentence, no traceback
        wrapped = RuntimeError(f"internal error ({type(exc).__name__}: {exc}); run again with --debug and report it")
        if getattr(args, "debug", False):
            traceback.print_exception(exc)
        return _fail(args, wrapped, EXIT_INTERNAL)


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
