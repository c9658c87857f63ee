"""Importing names from face tags of 1,000 photos already in the library (issue 20 goal: under 10 s).

    python benchmarks/bench_tags.py [--photos 1000]

Metadata only, no model: every photo is in the library with its two faces and their
descriptors in the current space, so the import plans (stat, one look-up per photo),
reads each photo's header and XMP (half of them also a digiKam sidecar, which wins),
matches regions to faces and names them.  Measured in one run:

1. the baseline: reading every photo's header and embedded XMP bytes with Pillow
   (``stored_image``), the least any tag import must do;
2. the first import (2 names per photo confirmed: one transaction each);
3. the second import (nothing changes), in-process and as ``faceapp-cli tags
   import`` in a fresh process (Python start-up, the weights fingerprint) with
   its max RSS.

The tagged photo is written by exiftool (two MWG regions, 640×427, orientation 6)
and copied; weights are generated (the import never runs them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build(root: Path, count: int) -> tuple[Path, Path, Path]:
    """(photos folder, library, models folder): ``count`` tagged photos, all in the library with their faces."""
    import numpy as np

    from faceapp.core.defaults import PIPELINE_VERSION
    from faceapp.core.engine import descriptor_space
    from faceapp.core.library import Library
    from faceapp.core.library.records import NewFace
    from faceapp.core.tags.regions import region_to_box, to_displayed
    from faceapp.core.tags.sidecar import read_photo_tags
    from faceapp.core.types import Face
    from faceapp.core.vggface.synthetic import write_synthetic_model_files
    from tests.tagphotos import tagged_photos

    models = root / "models"
    models.mkdir()
    write_synthetic_model_files(models, "resnet50", include_top=True, seed=1)
    templates = tagged_photos(root / "templates", [(6, "embedded"), (6, "sidecar")])
    photos = root / "photos"
    for index in range(count):
        source = templates[index % 2]
        target = photos / f"{index // 100:02d}" / f"photo{index:04d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        if source.with_name(source.name + ".xmp").exists():
            shutil.copy(source.with_name(source.name + ".xmp"), target.with_name(target.name + ".xmp"))
    space = descriptor_space("resnet50", "vggface2", models)
    tags = read_photo_tags(templates[0])
    width, height = tags.stored.height, tags.stored.width  # orientation 6: displayed sides swap
    boxes = [region_to_box(to_displayed(r, 6), width, height) for r in tags.regions]
    rng = np.random.default_rng(0)
    library_path = root / "library.sqlite"
    with Library.open(library_path) as library:
        for path in sorted(photos.rglob("*.jpg")):
            info = path.stat()
            faces = [NewFace(Face(box, 0.99, None, 0), 0.8, rng.standard_normal(space.dim).astype("float32"))
                     for box in boxes]
            library.save_photo(str(path.resolve()), info.st_size, info.st_mtime_ns, "x", (width, height),
                               PIPELINE_VERSION, faces, space)
    return photos, library_path, models


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=1000)
    args = parser.parse_args()
    from faceapp.core.library import Library
    from faceapp.core.tags.embedded import stored_image
    from faceapp.core.tags.importer import import_tags

    root = Path(tempfile.mkdtemp(prefix="faceapp-bench-tags-"))
    photos, library_path, models = build(root, args.photos)
    files = sorted(photos.rglob("*.jpg"))

    def timed(work):  # (wall s, CPU s): the machine is shared, so CPU time is the steadier figure
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        return result, time.perf_counter() - wall, time.process_time() - cpu

    _, baseline, baseline_cpu = timed(lambda: [stored_image(path) for path in files])
    with Library.open(library_path) as library:
        first, first_s, first_cpu = timed(lambda: import_tags(library, [photos], "resnet50", "vggface2", models))
        second, second_s, second_cpu = timed(lambda: import_tags(library, [photos], "resnet50", "vggface2", models))
    assert first.totals()["named"] == 2 * args.photos and first.scan.unchanged == args.photos, first.totals()
    assert second.totals()["named"] == 0 and second.totals()["already_named"] == 2 * args.photos

    def fresh(code: str) -> tuple[float, str]:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", "import resource, sys\n" + code +
                               "\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "
                               "'tensorflow' in sys.modules, file=sys.stderr)"],
                              capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, done.stderr
        return time.perf_counter() - started, done.stderr.split()[-2:]

    start_s, (start_rss, start_tf) = fresh(
        f"from faceapp.core.engine import descriptor_space; descriptor_space('resnet50', 'vggface2', {str(models)!r})")
    cli_s, (cli_rss, cli_tf) = fresh(
        "from faceapp.cli import main; main(['tags', 'import', %r, '--library', %r, '--models-dir', %r, '--json'])"
        % (str(photos), str(library_path), str(models)))

    print(f"{args.photos} photos already in the library, 2 MWG regions each (half with a sidecar that wins)")
    print(f"{'':50} {'wall':>7} {'CPU':>7}  CPU vs baseline")
    print(f"{'baseline: every header + XMP read with Pillow':50} {baseline:6.2f}s {baseline_cpu:6.2f}s")
    print(f"{f'first import (names {2 * args.photos} faces)':50} {first_s:6.2f}s {first_cpu:6.2f}s  "
          f"{first_cpu / baseline_cpu:.1f}x")
    print(f"{'second import (nothing changes)':50} {second_s:6.2f}s {second_cpu:6.2f}s  {second_cpu / baseline_cpu:.1f}x")
    print(f"fresh process, only the weights fingerprint (every library command): {start_s:.2f} s wall, "
          f"max RSS {start_rss} MB, TensorFlow imported: {start_tf}")
    print(f"fresh process, faceapp-cli tags import (second): {cli_s:.2f} s wall, max RSS {cli_rss} MB, "
          f"TensorFlow imported: {cli_tf}")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
