"""``faceapp-cli evaluate``: what threshold to use, measured on your own labelled photos."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from faceapp.cli.common import EXIT_OK, UsageError, common_options, emit

__all__ = ["add_commands", "parse_use"]


def add_commands(commands: Any) -> None:
    evaluate = commands.add_parser("evaluate", help="error rates and thresholds from your labelled photos")
    evaluate.add_argument("folder", nargs="?", metavar="FOLDER", help="one sub-folder of photos per person")
    evaluate.add_argument("--pairs", metavar="FILE", help="CSV/TSV of path_a, path_b, same (instead of FOLDER)")
    evaluate.add_argument("--report", metavar="OUT.html", help="write an HTML report with plots (and .csv, .json beside)")
    evaluate.add_argument("--use", metavar="HOW", help="remember a threshold as this model and crop's own: "
                          "'eer', 'best' (best accuracy) or 'far=0.001' (the threshold for that false accept rate)")
    evaluate.add_argument("--max-impostors", type=int, default=None, metavar="N",
                          help="different-person pairs used at most (a seeded sample beyond; default 1,000,000)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the sample and of the bootstrap (default 0)")
    evaluate.add_argument("--library", metavar="DB", help="take descriptors from this library when it has them")
    common_options(evaluate, aligned=False)
    evaluate.set_defaults(handler=cmd_evaluate)


def parse_use(how: str, evaluation: Any) -> tuple[float, str]:
    """The threshold ``how`` names in ``evaluation``, and a description of it."""
    text = how.strip().lower()
    if text == "eer":
        return evaluation.eer_threshold, f"equal error rate ({evaluation.eer * 100:.2f} %)"
    if text == "best":
        return evaluation.best_accuracy_threshold, f"best accuracy ({evaluation.best_accuracy * 100:.2f} %)"
    if text.startswith("far="):
        try:
            target = float(text[4:])
        except ValueError:
            target = -1.0
        row = evaluation.at_far.get(target)
        if row is None:
            choices = ", ".join(f"far={t:g}" for t in evaluation.at_far)
            raise UsageError(f"--use {how}: choose one of {choices}, 'eer' or 'best'.")
        if not isinstance(row, dict):
            raise UsageError(f"--use {how}: there are not enough different-person pairs to measure FAR {target:g}; "
                             "add photos of more people, or choose a larger FAR.")
        return row["threshold"], f"false accept rate ≤ {target:g} (TAR {row['tar'] * 100:.1f} %)"
    raise UsageError(f"--use {how}: give 'eer', 'best' or far=0.001.")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from faceapp.core.engine import Engine, descriptor_space
    from faceapp.core.evaluation import calibration as C
    from faceapp.core.evaluation import thresholds
    from faceapp.core.evaluation.calibration_report import (
        calibration_dict,
        compact_curve,
        write_csv,
        write_html,
    )

    if bool(args.folder) == bool(args.pairs):
        raise UsageError("Give a FOLDER (one sub-folder per person) or --pairs FILE, not both and not neither.")
    if args.pairs:
        photos, pairs = C.read_pairs_file(args.pairs)
        source = args.pairs
    else:
        photos, pairs, source = C.collect_folder(args.folder), None, args.folder
    space = descriptor_space(args.model, args.crop, args.models_dir)  # without loading a model
    engine = Engine(model=args.model, crop=args.crop, models_dir=args.models_dir)  # built if a photo needs it
    library = _library(args)
    show = not args.json and sys.stderr.isatty()
    try:
        C.describe(photos, engine, library, progress=(lambda done, total: print(
            f"\rdescribing photos: {done}/{total}", end="", file=sys.stderr, flush=True)) if show else None,
            space=space)
    finally:
        if show:
            print(file=sys.stderr)
        if library is not None:
            library.close()
    result = C.calibrate(photos, pairs, str(source), space.key,
                         args.max_impostors or C.MAX_IMPOSTORS, args.seed)
    data = calibration_dict(result)
    saved = None
    if args.use:
        threshold, how = parse_use(args.use, result.evaluation)
        thresholds.save(args.model, args.crop, threshold, how=how, eer=result.evaluation.eer, source=str(source),
                        curve=compact_curve(result.evaluation.curve))
        saved = {"threshold": round(threshold, 4), "how": how}
    report = None
    if args.report:
        html_path = Path(args.report).with_suffix(".html")
        mark = saved["threshold"] if saved else None
        report = {"html": str(write_html(result, html_path, mark)),
                  "csv": str(write_csv(result, html_path.with_suffix(".csv"))),
                  "json": str(html_path.with_suffix(".json"))}
        html_path.with_suffix(".json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    emit(args, {"command": "evaluate", "model": args.model, "crop": args.crop, **data, "saved": saved,
                "report": report}, _text(data, saved, report))
    return EXIT_OK


def _library(args: argparse.Namespace) -> Any:
    from faceapp.core.errors import StorageError
    from faceapp.core.library import Library
    from faceapp.paths import default_library_exists

    if args.library is None and not default_library_exists():
        return None
    try:
        return Library.open(args.library, create=False)
    except StorageError:
        if args.library is not None:
            raise
        return None  # the default library is unusable: describe everything instead


def _text(data: dict, saved: dict | None, report: dict | None) -> str:
    from faceapp.core.evaluation.calibration_report import eer_sentence, left_out_lines

    lines = [f"{data['people']} people, {data['photos_used']} of {data['photos']} photos "
             f"({data['from_library']} from the library); {data['pairs']['genuine']:,} same-person and "
             f"{data['pairs']['impostor']:,} different-person pairs."]
    lines += [f"  {note}" for note in data["notes"]]
    lines += [f"    {line}" for line in left_out_lines(data)]
    lines.append(f"{eer_sentence(data)}; "
                 f"best accuracy {data['best_accuracy'] * 100:.2f} % at {data['best_accuracy_threshold']:.3f}.")
    for key, row in data["at_far"].items():
        if row.get("not_enough_pairs"):
            lines.append(f"  FAR ≤ {key}: not enough pairs (needs {row['impostor_pairs_needed']:,} different-person pairs)")
        else:
            lines.append(f"  FAR ≤ {key}: threshold {row['threshold']:.3f}, TAR {row['tar'] * 100:.1f} %")
    if saved:
        lines.append(f"Remembered threshold {saved['threshold']:.3f} ({saved['how']}) as this model and crop's own.")
    if report:
        lines.append(f"Report: {report['html']}")
    return "\n".join(lines)
