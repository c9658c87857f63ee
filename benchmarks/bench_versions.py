"""Per-photo time of this checkout against an earlier commit, in alternating fresh processes.

    python benchmarks/bench_versions.py --before 50f4947 [--rounds 4] [--repeats 5]

The earlier commit is unpacked (``git archive``) into a temporary folder; each round starts one
process per version, in alternating order, so machine drift hits both alike.  A process loads
``Engine`` from its version's source with generated ResNet-50 weights (the same files for both),
analyses every photo once to warm up, then takes the median of ``--repeats`` runs of
``Engine.analyze`` per photo: the shared photos (tests/data/faces) and bench_pipeline.py's three
2,400-px portraits.  Printed: each photo's median over the rounds, the ratio now / before, the median
ratio and the ratio of the totals.  The photos' faces are compared too: a version that finds other
faces is reported, since a speed-up must not change what is found.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Run in a fresh process with the version's source first on sys.path; prints one JSON object.
CHILD = """
import json, os, statistics, sys, time
sys.path.insert(0, os.environ["FACEAPP_SOURCE"])
sys.path.insert(1, os.environ["FACEAPP_TESTS"])
from faceapp.core.engine import Engine
from faceapp.core.images import load_image
from tests.testdata import FACES, KNOWN_FACES
from tests.variations import portrait
engine = Engine(models_dir=os.environ["FACEAPP_MODELS"]); engine.load()
photos = [(name, load_image(FACES / name)) for name in KNOWN_FACES] + [
    (case.name, case.image) for case in (portrait("obama.jpg", 0.3), portrait("biden.jpg", 0.45),
                                         portrait("two_people.jpg", 0.6))]
faces = {name: [[f.face.box.x, f.face.box.y, f.face.box.width, f.face.box.height] for f in engine.analyze(image).faces]
         for name, image in photos}
times = {}
for name, image in photos:
    runs = []
    for _ in range(int(os.environ["FACEAPP_REPEATS"])):
        start = time.perf_counter(); engine.analyze(image); runs.append(time.perf_counter() - start)
    times[name] = 1000 * statistics.median(runs)
print(json.dumps({"times": times, "faces": faces}))
"""


def _child(source: Path, models: str, repeats: int) -> dict:
    env = dict(os.environ, FACEAPP_SOURCE=str(source), FACEAPP_TESTS=str(REPO), FACEAPP_MODELS=models,
               FACEAPP_REPEATS=str(repeats))
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="a commit (or anything git names) to compare against")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    with tempfile.TemporaryDirectory(prefix="faceapp-bench-") as scratch:
        before = Path(scratch) / "before"
        before.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.before, "faceapp"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        models = str(Path(scratch) / "models")
        write_synthetic_model_files(models, "resnet50", include_top=True, seed=1)
        versions = {"before": before, "now": REPO}
        results: dict[str, list[dict]] = {name: [] for name in versions}
        for round_ in range(args.rounds):
            for name in (("before", "now") if round_ % 2 == 0 else ("now", "before")):
                results[name].append(_child(versions[name], models, args.repeats))
    medians = {name: {photo: statistics.median(run["times"][photo] for run in runs) for photo in runs[0]["times"]}
               for name, runs in results.items()}
    print(f"now: {REPO} (with its uncommitted changes); before: {args.before}; {args.rounds} rounds")
    print("| photo | before ms | now ms | ratio | faces |\n|---|---|---|---|---|")
    for photo, old in medians["before"].items():
        same = results["before"][0]["faces"][photo] == results["now"][0]["faces"][photo]
        count = len(results["now"][0]["faces"][photo])
        print(f"| {photo} | {old:.1f} | {medians['now'][photo]:.1f} | {medians['now'][photo] / old:.2f} | "
              f"{count}{'' if same else ' (other boxes than before)'} |")
    ratios = [medians["now"][photo] / old for photo, old in medians["before"].items()]
    print(f"median ratio {statistics.median(ratios):.3f}; totals "
          f"{sum(medians['now'].values()) / sum(medians['before'].values()):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
