"""Scans on a Dask cluster against a local scan, in one run (issue 21 goals).

    python benchmarks/bench_cluster.py [--photos 60] [--model resnet50]

Three scans of the same photos, each into a fresh library, each timed from the
first photo to the last (start-up excluded: the cluster's workers load and warm
their model before photos are sent, the local engine is warmed on other photos):

1. local: ``Scanner.run`` in this process;
2. ``--cluster local:1``: one worker process, one thread;
3. ``--cluster local:2``: two such workers.

Every process runs its model passes on one thread (``FACEAPP_THREADS=1``, set
before anything starts, inherited by the workers), so "a worker" is one core's
worth of work.  Goals: 2 workers ≥ 1.7× the
photos/s of 1 worker; 1 worker's seconds per photo ≤ 1.10× the local scan's.
Photos: the shared test photos at many sizes (bench_library.make_photos);
weights are generated (timing does not depend on their values).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

# Before any session is made here or in any worker (workers inherit the environment).
os.environ["FACEAPP_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def max_rss_mb() -> float:
    """This process's peak resident memory, from /proc (Linux).

    Not ``ru_maxrss``: Linux carries it over fork and exec, so a worker process
    started from this one would report this process's peak.
    """
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (every thread)."""
    times = os.times()
    return times.user + times.system


def timed_scan(folder: Path, library_path: Path, model: str, models_dir: Path, analyser: object = None) -> float:
    from faceapp.core.library import Library
    from faceapp.core.library.scan import Scanner

    with Library.open(library_path) as library:
        scanner = Scanner(library, [folder], model, "vggface2", models_dir=models_dir, analyser=analyser)
        scanner.plan()
        started = time.perf_counter()
        summary = scanner.run()
        seconds = time.perf_counter() - started
        assert not summary.errors and summary.new == summary.photos, summary.as_dict()
        faces = library.info()["faces"]
    print(f"    {summary.photos} photos, {faces} faces, {seconds:.1f} s", flush=True)
    return seconds


def cluster_cpu(analyser: object) -> float:
    """CPU seconds used so far by the cluster's worker processes, summed."""
    return sum(analyser.client.run(cpu_seconds).values())


def prepared(prefix: str, model: str, photos: int) -> tuple[Path, Path, list[Path]]:
    """A temporary folder with generated model files (``models``) and ``photos`` photos (``photos``):
    (folder, models folder, photo paths)."""
    from benchmarks.bench_library import make_photos
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    work = Path(tempfile.mkdtemp(prefix=prefix))
    models_dir = work / "models"
    models_dir.mkdir()
    write_synthetic_model_files(models_dir, model, include_top=False, seed=3)
    return work, models_dir, make_photos(work / "photos", photos)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--model", default="resnet50")
    args = parser.parse_args()

    from benchmarks.bench_library import make_photos
    from faceapp.core.library.distributed import ClusterAnalyser

    work, models_dir, _ = prepared("faceapp-bench-cluster-", args.model, args.photos)
    make_photos(work / "warm", 4)

    print(f"{args.photos} photos, {args.model}, model passes on 1 thread per process; load: {os.getloadavg()}")
    print("local scan (warmed on 4 other photos first)")
    timed_scan(work / "warm", work / "warm.sqlite", args.model, models_dir)
    before = cpu_seconds()
    local = timed_scan(work / "photos", work / "local.sqlite", args.model, models_dir)
    cpu = {"local": cpu_seconds() - before}
    rates = {}
    for workers in (1, 2):
        print(f"cluster local:{workers}")
        started = time.perf_counter()
        with ClusterAnalyser(f"local:{workers}", args.model, "vggface2", models_dir) as analyser:
            print(f"    start-up (workers load and warm the model): {time.perf_counter() - started:.1f} s")
            client_before, workers_before = cpu_seconds(), cluster_cpu(analyser)
            before = client_before + workers_before
            rates[workers] = args.photos / timed_scan(work / "photos", work / f"cluster{workers}.sqlite", args.model,
                                                      models_dir, analyser)
            cpu[workers] = cpu_seconds() + cluster_cpu(analyser) - before
            print(f"    CPU seconds: this process (client, scheduler) {cpu_seconds() - client_before:.1f}, "
                  f"workers {cluster_cpu(analyser) - workers_before:.1f}")
            rss = analyser.client.run(max_rss_mb)
            print(f"    workers' max RSS: {', '.join(f'{mb:.0f} MB' for mb in rss.values())}")
    print(f"load after: {os.getloadavg()}; this process's max RSS: {max_rss_mb():.0f} MB")
    print(f"photos/s: local {args.photos / local:.2f}, 1 worker {rates[1]:.2f}, 2 workers {rates[2]:.2f}")
    print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x (goal >= 1.7x)")
    print(f"1 worker's cost per photo / local scan's: {(args.photos / rates[1]) / local:.2f}x in wall time, "
          f"{cpu[1] / cpu['local']:.2f}x in CPU seconds (goal <= 1.10x)")
    print("CPU seconds per photo (client + workers): " + ", ".join(f"{k}: {v / args.photos:.3f}" for k, v in cpu.items()))
    print("The local scan reads and decodes the next photo on a second thread while the model runs; a worker "
          "with one thread does both in turn, so its wall time per photo is the sum and the local scan's the larger.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
