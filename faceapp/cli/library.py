"""The commands about your own people: scan, people, who, find, cluster, faces, library.

Thin front-ends over :mod:`faceapp.core.library`; the JSON shapes are in README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from faceapp.cli import tags
from faceapp.cli.common import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    common_options,
    emit,
)
from faceapp.core.defaults import DEFAULT_THRESHOLD, GROUP_MIN_FACES, MATCH_MARGIN
from faceapp.core.errors import FaceAppError
from faceapp.core.library.pathtext import shown
from faceapp.core.wording import plural

__all__ = ["add_commands"]


def _library_options(parser: argparse.ArgumentParser, model: bool = True) -> None:
    parser.add_argument("--library", metavar="DB", help="the library: a file, or postgresql://USER@HOST/DATABASE "
                        "(default: $FACEAPP_LIBRARY, else library.sqlite in faceapp's user data folder)")
    common_options(parser, model_options=model, aligned=False)


def _matching_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threshold", type=float, metavar="T",
                        help=f"largest cosine distance to a person's face (default: the calibrated one, else {DEFAULT_THRESHOLD})")
    parser.add_argument("--margin", type=float, default=MATCH_MARGIN, metavar="M",
                        help=f"how much nearer than the runner-up person the best must be (default {MATCH_MARGIN})")


def add_commands(commands: Any) -> None:
    """Add scan, people, who, find, cluster, faces and library to ``faceapp-cli``'s sub-parsers."""
    scan = commands.add_parser("scan", help="add folders of photos to the library (incremental; Ctrl+C safe)")
    scan.add_argument("folders", nargs="+", metavar="FOLDER")
    scan.add_argument("--cluster", metavar="ADDRESS",
                      help="analyse on a Dask cluster: its scheduler (tcp://HOST:8786), or local:N for N worker "
                           "processes here (needs faceapp[server])")
    scan.add_argument("--send-photos", action="store_true",
                      help="with --cluster: send the photos to the workers (when they cannot read this path)")
    _library_options(scan)
    tags.add_scan_option(scan)
    scan.set_defaults(handler=cmd_scan)

    people = commands.add_parser("people", help="name faces: add, reject, list, rename, remove, merge")
    actions = people.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="confirm faces as NAME: from a photo, by face id, or a whole group")
    add.add_argument("name")
    add.add_argument("image", nargs="?", metavar="IMG", help="a photo showing NAME (its largest face, or --face)")
    add.add_argument("--face", type=int, metavar="N", help="face number in IMG (from 1, left to right)")
    add.add_argument("--faces", type=int, nargs="+", metavar="ID", help="library face ids (from find/cluster)")
    add.add_argument("--group", type=int, metavar="G", help="every face of group G (from cluster)")
    _library_options(add)
    reject = actions.add_parser("reject", help="say faces are NOT this person (remembered; never suggested again)")
    reject.add_argument("name")
    reject.add_argument("--faces", type=int, nargs="+", required=True, metavar="ID")
    _library_options(reject, model=False)
    _library_options(actions.add_parser("list", help="every person, with face and photo counts"), model=False)
    rename = actions.add_parser("rename", help="give a person another name")
    rename.add_argument("old")
    rename.add_argument("new")
    _library_options(rename, model=False)
    remove = actions.add_parser("remove", help="forget a person (their faces stay in the library, unnamed; "
                                               "--erase deletes them too)")
    remove.add_argument("name")
    remove.add_argument("--erase", action="store_true",
                        help="also delete their confirmed faces, descriptors, thumbnails and imported copies that "
                             "show only them, and rewrite the library so nothing of them stays on disk")
    _library_options(remove, model=False)
    merge = actions.add_parser("merge", help="FROM and INTO are one person: keep INTO")
    merge.add_argument("source", metavar="FROM")
    merge.add_argument("target", metavar="INTO")
    _library_options(merge, model=False)
    people.set_defaults(handler=cmd_people)

    who = commands.add_parser("who", help="each face of the photos: which of your people, or unknown")
    who.add_argument("images", nargs="+", metavar="IMG")
    _matching_options(who)
    _library_options(who)
    who.set_defaults(handler=cmd_who)

    find = commands.add_parser("find", help="library photos showing a person (NAME) or the face in a photo (IMG)")
    find.add_argument("query", metavar="NAME|IMG")
    find.add_argument("--face", type=int, metavar="N", help="with IMG: its face number (default: the largest)")
    _matching_options(find)
    _library_options(find)
    find.set_defaults(handler=cmd_find)

    cluster = commands.add_parser("cluster", help="groups of unnamed faces, to name in bulk")
    cluster.add_argument("--min-faces", type=int, default=GROUP_MIN_FACES, metavar="K",
                         help=f"other faces a face needs nearby to start or join a group (default {GROUP_MIN_FACES})")
    cluster.add_argument("--max-distance", type=float, metavar="D",
                         help="how near counts as nearby (default: the same-person threshold in use)")
    cluster.add_argument("--full", action="store_true", help="group everything again instead of only new faces")
    _library_options(cluster)
    cluster.set_defaults(handler=cmd_cluster)

    faces = commands.add_parser("faces", help="say two faces are different people (they never share a group)")
    faces_actions = faces.add_subparsers(dest="action", required=True, metavar="ACTION")
    apart = faces_actions.add_parser("apart", help="these two faces are different people")
    apart.add_argument("face_ids", type=int, nargs=2, metavar="ID")
    _library_options(apart, model=False)
    faces.set_defaults(handler=cmd_faces)

    library = commands.add_parser("library", help="the library: counts, unreadable photos, forgetting missing ones")
    library_actions = library.add_subparsers(dest="action", required=True, metavar="ACTION")
    _library_options(library_actions.add_parser("info", help="counts: photos, faces, people, no-face, errors"),
                     model=False)
    _library_options(library_actions.add_parser("errors", help="photos that could not be read, and why"), model=False)
    prune = library_actions.add_parser("prune", help="forget photos whose files are gone (lists them and asks)")
    prune.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
    prune.add_argument("--include-named", action="store_true",
                       help="also forget gone photos where a face is confirmed as someone (kept otherwise)")
    prune.add_argument("--dry-run", action="store_true", help="only list what would be forgotten")
    _library_options(prune, model=False)
    library.set_defaults(handler=cmd_library)


# -- helpers --------------------------------------------------------------------------------------

def _open(args: argparse.Namespace, create: bool = False) -> Any:
    from faceapp.core.library import Library

    return Library.open(args.library, create=create)


def _space(args: argparse.Namespace) -> Any:
    from faceapp.core.engine import descriptor_space

    return descriptor_space(args.model, args.crop, args.models_dir)


def _threshold(args: argparse.Namespace) -> float:
    from faceapp.core.evaluation.thresholds import threshold_for
    from faceapp.core.verification import validate_threshold

    value = args.threshold if getattr(args, "threshold", None) is not None else threshold_for(args.model, args.crop)
    try:
        return validate_threshold(value)
    except ValueError as exc:
        raise UsageError(f"{exc}; give a threshold between 0 and 1.") from None


def _face_json(record: Any, photo: Any) -> dict[str, Any]:
    return {"face_id": record.id, "path": photo.path, "number": record.number, "box": record.face.box.as_list(),
            "confidence": round(float(record.face.confidence), 4), "rotation": record.face.rotation,
            "quality": record.quality}


def _person_json(person: Any) -> dict[str, Any]:
    return {"name": person.name, "confirmed": person.confirmed, "rejected": person.rejected, "photos": person.photos}


def _names(library: Any) -> dict[int, str]:
    return {p.id: p.name for p in library.people()}


# -- scan -------------------------------------------------------------------------------------------

def cmd_scan(args: argparse.Namespace) -> int:
    if args.send_photos and not args.cluster:
        raise UsageError("--send-photos sends photos to a cluster's workers; give --cluster too.")
    with contextlib.ExitStack() as stack:
        analyser = None
        if args.cluster:
            from faceapp.core.library.distributed import ClusterAnalyser

            analyser = stack.enter_context(ClusterAnalyser(args.cluster, args.model, args.crop, args.models_dir,
                                                           send_photos=args.send_photos))
        return _scan(args, analyser)


def _scan(args: argparse.Namespace, analyser: Any) -> int:
    from faceapp.core.library.scan import Scanner

    with _open(args, create=True) as library:
        scanner = Scanner(library, args.folders, args.model, args.crop, args.models_dir, analyser=analyser)
        total = scanner.plan()
        interrupted = False
        try:
            with _ProgressBar(total, enabled=not args.json and sys.stderr.isatty()) as bar:
                scanner.run(progress=bar.update)
        except KeyboardInterrupt:
            interrupted = True
            scanner.summary.cancelled = True
            scanner.close()
        summary = scanner.summary
        payload = {"command": "scan", "library": str(library.path), "space": scanner.space.key,
                   "summary": summary.as_dict()}
        if analyser is not None:
            payload["cluster"] = analyser.as_dict()
        text = _scan_text(summary, library.path)
        read = None if interrupted else tags.import_after_scan(args, library)
        if read is not None:
            payload["tags"] = read.as_dict()
            text += "\n" + read.text()
        emit(args, payload, text)
        for folder, message in summary.unreadable_folders:
            print(f"faceapp-cli: {message}", file=sys.stderr)
        for path, message in getattr(analyser, "left_out", ()):
            print(f"faceapp-cli: {message}", file=sys.stderr)
    if interrupted:
        print("faceapp-cli: interrupted; what was finished is kept — run the same scan again to go on.",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_INPUT if (summary.unreadable_folders or summary.unmounted) and not summary.photos else EXIT_OK


def _scan_text(summary: Any, path: Path | str) -> str:
    lines = summary.sentences("'faceapp-cli library prune'")
    if summary.errors:
        lines[1] = lines[1][:-1] + " (faceapp-cli library errors)."
    lines.append(f"Library: {shown(str(path))} ({summary.seconds:.1f} s).")
    return "\n".join(lines)


class _ProgressBar:
    """A rich progress bar on stderr with photos/s and the time left, or nothing (not a terminal, --json)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self._bar, self._task = total, enabled and total > 0, None, None

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]:.1f} photos/s"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("scan", total=self.total, rate=0.0)
        return self

    def update(self, progress: Any) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=progress.done, rate=progress.rate)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


# -- people -----------------------------------------------------------------------------------------

def cmd_people(args: argparse.Namespace) -> int:
    with _open(args, create=args.action == "add") as library:
        if args.action == "list":
            people = library.people()
            lines = [f"{p.name:<30} {p.confirmed:>5} face{'s' if p.confirmed != 1 else ' '} in {p.photos} photo"
                     f"{'s' if p.photos != 1 else ''}" + (f", {p.rejected} rejected" if p.rejected else "")
                     for p in people] or ["No people yet: 'faceapp-cli people add NAME PHOTO' names one."]
            emit(args, {"command": "people list", "people": [_person_json(p) for p in people]}, "\n".join(lines))
        elif args.action == "add":
            return _people_add(args, library)
        elif args.action == "reject":
            person = library.require_person(args.name)
            count = library.reject(person, _existing_faces(library, args.faces))
            person = library.require_person(person.name)
            emit(args, {"command": "people reject", "person": _person_json(person), "faces": args.faces},
                 f"{plural(count, 'face')} marked as not {person.name}; they will not be suggested again.")
        elif args.action == "rename":
            person = library.rename_person(args.old, args.new)
            emit(args, {"command": "people rename", "person": _person_json(person)}, f"Renamed to {person.name}.")
        elif args.action == "remove" and args.erase:
            _people_erase(args, library)
        elif args.action == "remove":
            person = library.remove_person(args.name)
            emit(args, {"command": "people remove", "person": _person_json(person)},
                 f"Forgot {person.name}; their {plural(person.confirmed, 'face')} "
                 "stay in the library, unnamed.")
        else:
            person, conflicts = library.merge_people(args.source, args.target)
            note = f" ({plural(conflicts, 'face')} rejected for one were confirmed for the other: " \
                   "kept as confirmed)" if conflicts else ""
            emit(args, {"command": "people merge", "person": _person_json(person), "conflicts": conflicts},
                 f"{args.source} is now part of {person.name}: {person.confirmed} faces{note}.")
    return EXIT_OK


def _people_erase(args: argparse.Namespace, library: Any) -> None:
    from faceapp.core.library.housekeeping import erase_person

    person = library.require_person(args.name)
    erased = erase_person(library, person.name)
    marks = plural(erased.rejections, f'"not {erased.person}" mark')
    lines = [f"Erased {erased.person}: {plural(erased.faces, 'confirmed face')} with their descriptors, {marks}, "
             f"{plural(erased.thumbnails, 'thumbnail')} and "
             f"{plural(len(erased.copies), 'imported copy', 'imported copies')}."]
    lines += [f"  deleted {shown(path)}" for path in erased.copies]
    if not erased.compacted:
        lines.append("Another program has the library open: the deleted data leaves the library's log file when that "
                     "program closes the library; close it now.")
    emit(args, {"command": "people remove", "person": _person_json(person),
                "erased": {"faces": erased.faces, "rejections": erased.rejections, "copies": list(erased.copies),
                           "thumbnails": erased.thumbnails, "compacted": erased.compacted}}, "\n".join(lines))


def _existing_faces(library: Any, face_ids: list[int]) -> list[int]:
    unknown = [i for i in face_ids if library.face(i) is None]
    if unknown:
        raise UsageError(f"There is no face {unknown[0]} in this library; take face ids from 'find' or 'cluster'.")
    return face_ids


def _people_add(args: argparse.Namespace, library: Any) -> int:
    from faceapp.core.library import recognition

    given = [bool(args.image), args.faces is not None, args.group is not None]
    if sum(given) != 1:
        raise UsageError("Give one of: a photo (IMG), --faces ID…, or --group G.")
    if args.image:
        from faceapp.cli.common import load_engine
        from faceapp.core.images import check_file

        check_file(args.image)  # a wrong path is told before the model is loaded
        person, face, photo = recognition.enrol(library, load_engine(args), args.name, args.image, args.face)
        emit(args, {"command": "people add", "person": _person_json(person), "faces": [_face_json(face, photo)]},
             f"{person.name}: face {face.number} of {Path(photo.path).name} confirmed "
             f"({plural(person.confirmed, 'face')} now).")
        return EXIT_OK
    if args.group is not None:
        from faceapp.core.library import recognition

        face_ids = sorted(recognition.faces_of_group(library, _space(args), args.group))
        if not face_ids:
            raise UsageError(f"There is no group {args.group}; run 'faceapp-cli cluster' and take a group number from it.")
    else:
        face_ids = _existing_faces(library, args.faces)
    person = library.add_person(args.name)
    library.confirm(person, face_ids)
    person = library.require_person(person.name)
    faces = [_face_json(*library.face(i)) for i in face_ids]
    emit(args, {"command": "people add", "person": _person_json(person), "faces": faces},
         f"{person.name}: {plural(len(face_ids), 'face')} confirmed "
         f"({person.confirmed} now).")
    return EXIT_OK


# -- who / find ---------------------------------------------------------------------------------------

def cmd_who(args: argparse.Namespace) -> int:
    from faceapp.core.images import load_image
    from faceapp.core.library import recognition

    threshold = _threshold(args)
    with _open(args) as library:
        space, engine, names = _space(args), None, _names(library)
        index = recognition.people_index(library, space)
        photos, lines, status = [], [], EXIT_OK
        for path in args.images:
            try:
                stored = recognition.stored_faces(library, path, space)
                if stored is not None:
                    record, faces, matrix = stored
                    boxes, face_ids = [f.face for f in faces], [f.id for f in faces]
                else:
                    image = load_image(path)  # a bad photo is told before the model is loaded
                    if engine is None:
                        from faceapp.cli.common import load_engine

                        engine = load_engine(args)
                    result = engine.analyze(image)
                    boxes, face_ids = [r.face for r in result.faces], [None] * len(result.faces)
                    matrix = [r.descriptor for r in result.faces]
                answers = index.suggest(matrix, threshold, args.margin, face_ids) if len(boxes) else []
            except FaceAppError as exc:
                print(f"faceapp-cli: {exc}", file=sys.stderr)
                photos.append({"path": path, "error": {"type": type(exc).__name__, "message": str(exc)}})
                status = EXIT_INPUT
                continue
            entry = {"path": path, "in_library": stored is not None, "faces": []}
            lines.append(f"{Path(path).name}: {plural(len(boxes), 'face')}"
                         + (" found" if not boxes else ""))
            for number, (face, answer, face_id) in enumerate(zip(boxes, answers, face_ids), start=1):
                entry["faces"].append(_answer_json(library, number, face, face_id, answer, names))
                lines.append(f"  face {number}: {_answer_text(library, answer, names)}")
            photos.append(entry)
        emit(args, {"command": "who", "space": space.key, "threshold": threshold, "margin": args.margin,
                    "photos": photos}, "\n".join(lines))
    return status


def _answer_json(library: Any, number: int, face: Any, face_id: int | None, answer: Any, names: dict[int, str]) -> dict:
    sample = library.face(answer.sample) if answer.sample is not None else None
    return {"number": number, "face_id": face_id, "box": face.box.as_list(), "rotation": face.rotation,
            "status": answer.status, "person": names.get(answer.person) if answer.status == "match" else None,
            "nearest": None if answer.person is None else {
                "person": names.get(answer.person), "distance": round(answer.distance, 4),
                "sample": None if sample is None else {"face_id": sample[0].id, "path": sample[1].path,
                                                       "number": sample[0].number}},
            "runner_up": None if answer.runner_up is None else {
                "person": names.get(answer.runner_up), "distance": round(answer.runner_up_distance, 4)}}


def _answer_text(library: Any, answer: Any, names: dict[int, str]) -> str:
    from faceapp.core.report import who_text

    sample = library.face(answer.sample) if answer.status == "match" and answer.sample is not None else None
    where = f"face {sample[0].number} of {Path(sample[1].path).name}" if sample else "a confirmed face"
    return who_text(answer, names, where)


def cmd_find(args: argparse.Namespace) -> int:
    from faceapp.core.library import recognition

    threshold = _threshold(args)
    with _open(args) as library:
        space = _space(args)
        person = library.person(args.query)
        if person is not None:
            hits = recognition.photos_of(library, space, person, threshold, args.margin)
            query: dict[str, Any] = {"person": person.name}
            title = f"{person.name}"
        elif os.path.isfile(args.query):
            descriptor, number = _query_face(args, library, space)
            hits = recognition.similar_faces(library, space, descriptor, threshold)
            query = {"path": args.query, "number": number}
            title = f"face {number} of {Path(args.query).name}"
        else:
            raise UsageError(f"There is no person or photo called '{args.query}'; see 'faceapp-cli people list'.")
        photos: dict[str, dict[str, Any]] = {}
        for hit in hits:
            entry = photos.setdefault(hit.photo.path, {"path": hit.photo.path, "faces": []})
            entry["faces"].append({**_face_json(hit.face, hit.photo), "state": hit.state,
                                   "distance": None if hit.distance is None else round(hit.distance, 4)})
        lines = [f"{title}: {plural(len(photos), 'photo')}"]
        for entry in photos.values():
            faces = ", ".join(f"face {f['number']} (id {f['face_id']}, {f['state']}"
                              + (f" {f['distance']:.3f}" if f["distance"] is not None else "") + ")"
                              for f in entry["faces"])
            lines.append(f"  {entry['path']}: {faces}")
        emit(args, {"command": "find", "query": query, "space": space.key, "threshold": threshold,
                    "photos": list(photos.values())}, "\n".join(lines))
    return EXIT_OK


def _query_face(args: argparse.Namespace, library: Any, space: Any) -> tuple[Any, int]:
    from faceapp.core.images import load_image
    from faceapp.core.library import recognition

    stored = recognition.stored_faces(library, args.query, space)
    if stored is not None:
        _, faces, matrix = stored
        boxes = [f.face for f in faces]
    else:
        from faceapp.cli.common import load_engine

        image = load_image(args.query)  # a bad photo is told before the model is loaded
        result = load_engine(args).analyze(image)
        boxes, matrix = [r.face for r in result.faces], [r.descriptor for r in result.faces]
    from faceapp.core.types import choose_face

    index = choose_face([b.box for b in boxes], args.face, f"'{Path(args.query).name}'")
    return matrix[index], index + 1


# -- cluster, faces, library ---------------------------------------------------------------------------

def cmd_cluster(args: argparse.Namespace) -> int:
    from faceapp.core.library import recognition

    distance = args.max_distance if args.max_distance is not None else _threshold(args)
    with _open(args) as library:
        space = _space(args)
        try:
            result = recognition.group(library, space, args.min_faces, distance, full=args.full)
        except ValueError as exc:
            raise UsageError(f"{exc}; see 'faceapp-cli cluster --help'.") from None
        groups = []
        lines = [f"{plural(len(result.groups), 'group')} of unnamed faces "
                 f"({plural(result.waiting, 'face')} wait for more of their kind)"
                 + (" — only new faces were examined" if result.incremental else "") + ":"]
        for group_id, face_ids in result.groups.items():
            faces = [_face_json(*library.face(i)) for i in face_ids]
            faces.sort(key=lambda f: -f["quality"])
            groups.append({"group": group_id, "faces": faces})
            shown = ", ".join(f"{Path(f['path']).name}#{f['number']}" for f in faces[:4])
            lines.append(f"  group {group_id}: {len(faces)} faces ({shown}{', …' if len(faces) > 4 else ''})")
        if result.groups:
            lines.append("Name a group: faceapp-cli people add NAME --group G")
        emit(args, {"command": "cluster", "space": space.key, "min_faces": args.min_faces, "max_distance": distance,
                    "incremental": result.incremental, "groups": groups, "waiting": result.waiting}, "\n".join(lines))
    return EXIT_OK


def cmd_faces(args: argparse.Namespace) -> int:
    with _open(args) as library:
        a, b = _existing_faces(library, args.face_ids)
        library.set_apart([(a, b)])
        emit(args, {"command": "faces apart", "faces": [a, b]},
             f"Faces {a} and {b} are different people: they will never share a group.")
    return EXIT_OK


def cmd_library(args: argparse.Namespace) -> int:
    with _open(args) as library:
        if args.action == "info":
            info = library.info()
            text = (f"{info['library']}\n{info['photos']} photos ({info['photos_with_faces']} with faces, "
                    f"{info['no_face']} without, {info['errors']} unreadable, {info['missing']} missing)\n"
                    f"{info['faces']} faces, {info['people']} people, {info['named_faces']} named faces, "
                    f"{info['rejections']} rejections\n" + "\n".join(
                        f"descriptors {s['space']}: {s['descriptors']}" for s in info["spaces"]))
            emit(args, {"command": "library info", **info}, text)
        elif args.action == "errors":
            errors = library.errors()
            emit(args, {"command": "library errors", "errors": [{"path": p, "message": m} for p, m in errors]},
                 "\n".join(f"{p}: {m}" for p, m in errors) or "Every photo could be read.")
        else:
            return _prune(args, library)
    return EXIT_OK


def _prune(args: argparse.Namespace, library: Any) -> int:
    """List what a prune would forget, ask (or --yes), forget exactly that."""
    from faceapp.core.library.housekeeping import prune, prune_plan

    plan = prune_plan(library, include_named=args.include_named)
    payload = {"command": "library prune", "forgotten": 0, "dry_run": args.dry_run,
               "photos": [r.path for r in plan.forget], "named_faces": plan.named_faces,
               "kept_named": [r.path for r in plan.kept_named]}
    lines = [f"  {shown(r.path)}" for r in plan.forget]
    kept = (f"{plural(len(plan.kept_named), 'gone photo')} where someone is named "
            f"{'are' if len(plan.kept_named) != 1 else 'is'} kept (--include-named forgets them too)."
            if plan.kept_named else "")
    if not plan.forget:
        emit(args, payload, " ".join(filter(None, ["No photo to forget.", kept])))
        return EXIT_OK
    named = f", {plan.named_faces} of their faces named" if plan.named_faces else ""
    header = (f"{plural(len(plan.forget), 'photo')} whose files are gone "
              f"would be forgotten, with their faces{named}:")
    if args.dry_run:
        emit(args, payload, "\n".join([header, *lines, kept] if kept else [header, *lines]))
        return EXIT_OK
    if not args.yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UsageError(f"'library prune' would forget {plural(len(plan.forget), 'photo')} and asks first; "
                             "pass --yes to forget them "
                             "without asking (--dry-run lists them).")
        print("\n".join([header, *lines, kept] if kept else [header, *lines]), file=sys.stderr)
        print("Forget them? [y/N] ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip().casefold()  # "" at end of input: no
        if answer not in ("y", "yes"):
            print("Nothing was forgotten.", file=sys.stderr)
            return EXIT_OK
    count = prune(library, plan)
    payload["forgotten"] = count
    emit(args, payload, " ".join(filter(None, [f"Forgot {plural(count, 'photo')} whose files are gone.",
                                               kept])))
    return EXIT_OK
