"""The commands about photos: detect, identify, embed, verify, and the model files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

from faceapp.cli.common import (
    EXIT_INPUT,
    EXIT_OK,
    UsageError,
    common_options,
    emit,
    error_object,
    load_engine,
)
from faceapp.core.defaults import DEFAULT_THRESHOLD, DEFAULT_TOP
from faceapp.core.errors import FaceAppError
from faceapp.core.vggface.catalog import MODELS

__all__ = ["add_commands"]


def add_commands(commands: Any) -> None:
    """Add detect, identify, embed, verify and models to ``faceapp-cli``'s sub-parsers."""
    detect = commands.add_parser("detect", help="box every face")
    detect.add_argument("images", nargs="+", metavar="IMG")
    common_options(detect, model_options=False)
    detect.set_defaults(handler=cmd_detect)

    identify = commands.add_parser("identify", help="every face and its most likely identities")
    identify.add_argument("images", nargs="+", metavar="IMG")
    identify.add_argument("--top", type=int, default=DEFAULT_TOP, help=f"identities per face (default {DEFAULT_TOP})")
    common_options(identify)
    identify.set_defaults(handler=lambda a: _analyse_command(a, False))

    embed = commands.add_parser("embed", help="every face with its descriptor")
    embed.add_argument("images", nargs="+", metavar="IMG")
    common_options(embed)
    embed.set_defaults(handler=lambda a: _analyse_command(a, True))

    verify = commands.add_parser("verify", help="are two faces the same person?")
    verify.add_argument("image_a", metavar="IMG_A")
    verify.add_argument("image_b", metavar="IMG_B")
    verify.add_argument("--threshold", type=float, default=None,
                        help=f"largest cosine distance judged a match (default: the one calibrated for the model "
                             f"and crop, else {DEFAULT_THRESHOLD})")
    verify.add_argument("--face-a", type=int, metavar="I", help="face number in IMG_A (from 1, left to right; default: the largest)")
    verify.add_argument("--face-b", type=int, metavar="J", help="face number in IMG_B (default: the largest)")
    common_options(verify)
    verify.set_defaults(handler=cmd_verify)

    models = commands.add_parser("models", help="list, locate, download or import model files")
    actions = models.add_subparsers(dest="action", required=True, metavar="ACTION")
    common_options(actions.add_parser("list", help="which model files are where"), model_options=False)
    common_options(actions.add_parser("path", help="the folders searched, and where downloads go"), model_options=False)
    download = actions.add_parser("download", help="download a model's files (asks nothing)")
    download.add_argument("name", choices=list(MODELS))
    download.add_argument("--notop", action="store_true", help="the smaller descriptor-only file (no identities)")
    common_options(download, model_options=False)
    imported = actions.add_parser("import", help="validate a weights or labels file and copy it in")
    imported.add_argument("file")
    common_options(imported, model_options=False)
    models.set_defaults(handler=cmd_models)


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
            entry, status = {"path": path, "error": error_object(exc)}, EXIT_INPUT
        entries.append(entry)
    return entries, status


def cmd_detect(args: argparse.Namespace) -> int:
    import time

    from faceapp.core.detection.detector import FaceDetector
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
        emit(args, {"command": "detect", "photos": photos}, "")
    return status


def _analyse_command(args: argparse.Namespace, descriptor: bool) -> int:
    from faceapp.core.report import analysis_dict, analysis_text

    if getattr(args, "top", DEFAULT_TOP) < 0:
        raise UsageError(f"--top must be 0 or more, got {args.top}; give a number of identities.")
    engine = load_engine(args)

    def work(image: Any) -> tuple[dict[str, Any], str]:
        result = engine.analyze(image, aligned=args.aligned)
        entry = analysis_dict("", result, descriptor=descriptor)
        del entry["path"]
        return entry, analysis_text("\0", result, identities=not descriptor)

    photos, status = _for_each_photo(args, work)
    if args.json:
        emit(args, {"command": args.command, "model": args.model, "crop": "aligned" if args.aligned else args.crop,
                     "identities_available": engine.model.has_identities, "photos": photos}, "")
    return status


def _chosen_face(result: Any, number: int | None, path: str, option: str) -> tuple[int, str]:
    from faceapp.core.types import choose_face

    index = choose_face([f.face.box for f in result.faces], number, f"'{Path(path).name}'", option)
    return index, ("largest" if number is None else "chosen")


def cmd_verify(args: argparse.Namespace) -> int:
    from faceapp.core.evaluation.thresholds import threshold_for
    from faceapp.core.images import load_image
    from faceapp.core.report import face_dict, verdict_text
    from faceapp.core.verification import cosine_distance, judge, validate_threshold

    try:
        threshold = validate_threshold(args.threshold if args.threshold is not None
                                       else threshold_for(args.model, args.crop))
    except ValueError as exc:
        raise UsageError(f"{exc}; give --threshold between 0 and 1.") from None
    images = [load_image(args.image_a), load_image(args.image_b)]  # bad files fail before the model loads
    engine = load_engine(args)
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
    emit(args, payload, verdict_text(verdict, labels[0], labels[1]))
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from faceapp.core.vggface import model_files as store
    from faceapp.paths import models_search_dirs

    if args.action == "list":
        rows = store.model_status(args.models_dir)
        lines = []
        for row in rows:
            lines.append(f"{row['name']:<9} {row['title']}, {row['classes']} identities, about {row['approx_mb']} MB")
            for filename, found in row["files"].items():  # type: ignore[union-attr]
                lines.append(f"    {filename:<40} {found or 'not found'}")
        emit(args, {"command": "models list", "models": rows}, "\n".join(lines))
    elif args.action == "path":
        dirs = [str(d) for d in models_search_dirs(args.models_dir)]
        target = str(store.default_target_dir(args.models_dir))
        emit(args, {"command": "models path", "search": dirs, "download_to": target},
              "searched, in order:\n" + "\n".join(f"  {d}" for d in dirs) + f"\ndownloads go to:\n  {target}")
    elif args.action == "download":
        def progress(filename: str, done: int, total: int | None) -> None:
            if not args.json:
                shown = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
                print(f"\r{filename}: {shown}", end="", file=sys.stderr, flush=True)

        paths = store.download_model(args.name, include_top=not args.notop, models_dir=args.models_dir, progress=progress)
        if not args.json:
            print(file=sys.stderr)
        emit(args, {"command": "models download", "files": [str(p) for p in paths]},
              "\n".join(f"ready: {p}" for p in paths))
    else:
        path = store.import_file(args.file, args.models_dir)
        emit(args, {"command": "models import", "file": str(path)}, f"imported: {path}")
    return EXIT_OK
