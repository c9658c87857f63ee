"""The library's speed goals, measured in one run.

    python benchmarks/bench_library.py [--photos 1000] [--faces 100000] [--who-only]

1. First scan against ``faceapp-cli identify`` on the same photos: photos per
   second of ``Scanner.run`` and of ``Engine.analyze`` over the same files (both
   read and decode each photo; identify's figure has no database work).
2. Re-scan of the unchanged photos, in a fresh process (as a user runs it: no
   model, no TensorFlow unless needed), as a fraction of the first scan.
3. ``who`` against a library of ``--faces`` faces, all of them named (the worst
   case: every face is a sample), 1,000 people: time per face after the library is
   loaded, loading time, and the descriptors' memory.
Photos: the shared ones at many sizes (260–760 px), re-encoded, so every file is
distinct.  Weights are generated (timing does not depend on their values).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_photos(folder: Path, count: int) -> list[Path]:
    from PIL import Image

    from tests.testdata import FACES, KNOWN_FACES

    folder.mkdir(parents=True, exist_ok=True)
    sources = [Image.open(FACES / name).convert("RGB") for name in KNOWN_FACES]
    paths = []
    for index in range(count):
        image = sources[index % len(sources)].copy()
        side = 260 + (index * 37) % 500
        image.thumbnail((side, side))
        path = folder / f"{index // 100:02d}" / f"photo{index:04d}.jpg"
        path.parent.mkdir(exist_ok=True)
        image.save(path, quality=75 + index % 20)
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--who-only", action="store_true", help="measure only `who` (part 3)")
    args = parser.parse_args()
    if args.who_only:
        who(args.faces, Path(tempfile.mkdtemp(prefix="faceapp-bench-library-")))
        return 0

    from faceapp.core.engine import Engine
    from faceapp.core.images import load_image
    from faceapp.core.library import Library
    from faceapp.core.library.scan import Scanner
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    work = Path(tempfile.mkdtemp(prefix="faceapp-bench-library-"))
    models = work / "models"
    write_synthetic_model_files(models, "resnet50", seed=1)
    photos = make_photos(work / "photos", args.photos)
    engine = Engine(models_dir=models)
    engine.analyze(load_image(photos[0]))  # warm: model built, graphs traced

    sample = photos[: min(200, len(photos))]
    start = time.perf_counter()
    for path in sample:
        engine.analyze(load_image(path))
    identify = len(sample) / (time.perf_counter() - start)

    with Library.open(work / "library.sqlite") as library:
        start = time.perf_counter()
        summary = Scanner(library, [work / "photos"], "resnet50", "vggface2", models, engine=engine).run()
        first = time.perf_counter() - start
    scan_rate = summary.photos / first
    print(f"first scan: {summary.photos} photos, {summary.faces} faces in {first:.1f} s = {scan_rate:.2f} photos/s; "
          f"identify over {len(sample)} of them: {identify:.2f} photos/s; ratio scan/identify {scan_rate / identify:.2f}")

    code = (f"import time, sys; t = time.perf_counter(); from faceapp.core.library import Library; "
            f"from faceapp.core.library.scan import Scanner; lib = Library.open({str(work / 'library.sqlite')!r}); "
            f"s = Scanner(lib, [{str(work / 'photos')!r}], 'resnet50', 'vggface2', {str(models)!r}).run(); "
            f"print(time.perf_counter() - t, s.unchanged, 'tensorflow' in sys.modules)")
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
        seconds, unchanged, tensorflow = out.stdout.split()[-3:]
        runs.append(float(seconds))
    rescan = statistics.median(runs)
    print(f"re-scan of {unchanged} unchanged photos in a fresh process: {rescan:.2f} s (median of 3) = "
          f"{100 * rescan / first:.1f} % of the first scan; TensorFlow imported: {tensorflow}")

    who(args.faces, work)
    return 0


def who(count: int, work: Path) -> None:
    from faceapp.core.library import Library, recognition
    from faceapp.core.types import DescriptorSpace
    from tests.descriptor_sets import identities

    space = DescriptorSpace("resnet50", "0" * 16, "vggface2", 1, 2048)
    people = 1000
    matrix, labels = identities(people, count // people, seed=11)
    path = work / "who.sqlite"
    start = time.perf_counter()
    with Library.open(path) as library:
        persons = [library.add_person(f"Person {p}") for p in range(people)]
        space_id = library.space_id(space)
        db = library._db
        db.execute("BEGIN")
        for row, vector in enumerate(matrix):  # one transaction for speed: the benchmark's own shortcut
            photo = db.execute("INSERT INTO photos (path, size, mtime_ns, status, pipeline, scanned_at) "
                               "VALUES (?, 1, 1, 'faces', 1, 0)", (f"/p/{row}.jpg",)).lastrowid
            face = db.execute("INSERT INTO faces (photo_id, number, x, y, width, height, confidence, quality) "
                              "VALUES (?, 1, 0, 0, 50, 50, 0.99, 0.9)", (photo,)).lastrowid
            db.execute("INSERT INTO descriptors (face_id, space_id, vector) VALUES (?, ?, ?)",
                       (face, space_id, vector.astype("<f4").tobytes()))
            db.execute("INSERT INTO face_people (face_id, person_id, state, created_at) VALUES (?, ?, 'confirmed', 0)",
                       (face, persons[labels[row]].id))
        db.execute("COMMIT")
    built = time.perf_counter() - start
    with Library.open(path) as library:
        start = time.perf_counter()
        index = recognition.people_index(library, space)
        loaded = time.perf_counter() - start
        queries = matrix[:: max(1, len(matrix) // 200)][:200] + 0.0
        index.suggest(queries[:5], 0.4, 0.05)
        start = time.perf_counter()
        for query in queries:
            index.suggest(query[None], 0.4, 0.05)
        per_face = (time.perf_counter() - start) / len(queries)
        start = time.perf_counter()
        index.suggest(queries, 0.4, 0.05)
        batched = (time.perf_counter() - start) / len(queries)
    print(f"who against {len(matrix):,} named faces of {people} people: {per_face * 1000:.1f} ms per face one at a "
          f"time, {batched * 1000:.2f} ms per face in a batch of {len(queries)}; loading the library's "
          f"descriptors {loaded:.1f} s; descriptors in memory {index.samples.nbytes / 1e6:.0f} MB "
          f"(float32, {matrix.shape[1]} numbers each); building the test library {built:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
