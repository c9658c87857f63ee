"""Dask against Ray as the engine of cluster scans: the same analysis function, the same photos, one run.

    pip install ray            # not a faceapp dependency; e.g. pip install --target DIR ray, then PYTHONPATH=DIR
    python benchmarks/bench_ray_vs_dask.py [--photos 40] [--model resnet50]

What a cluster scan asks of its engine is to run faceapp's per-photo analysis
(:func:`faceapp.core.library.distributed.analyse`: read, decode, detect, describe) in
worker processes that each load the model once, and to hand the results back as they
finish.  For 1 and 2 single-threaded worker processes of each engine (every pass on one
thread, ``FACEAPP_THREADS=1``), started here on this machine: start-up until every worker
has loaded and warmed the model, then photos/s for all photos submitted at once and
gathered as they finish, and the workers' peak memory (VmHWM).  Photos:
bench_library.make_photos; weights generated (timing does not depend on their values).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ["FACEAPP_THREADS"] = "1"  # before anything starts; every worker inherits it
os.environ["OMP_NUM_THREADS"] = "1"
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_cluster import max_rss_mb  # noqa: E402


def tasks_for(paths: list[Path]) -> list:
    from faceapp.core.library.scan import _Task

    return [_Task("new", str(path), path.stat().st_size, path.stat().st_mtime_ns, None) for path in paths]


def run_dask(workers: int, tasks: list, settings: object) -> tuple[float, float, list[float]]:
    import logging

    import distributed

    from faceapp.core.library.distributed import analyse, check_worker, local_worker_env

    started = time.perf_counter()
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR, env=local_worker_env(workers)) as cluster, \
            distributed.Client(cluster) as client:
        client.wait_for_workers(workers)
        client.run(check_worker, settings)
        startup = time.perf_counter() - started
        started = time.perf_counter()
        futures = [client.submit(analyse, task, None, settings, pure=False) for task in tasks]
        for future in distributed.as_completed(futures):
            assert future.result().error is None
        seconds = time.perf_counter() - started
        rss = list(client.run(max_rss_mb).values())
    return startup, len(tasks) / seconds, rss


def run_ray(workers: int, tasks: list, settings: object) -> tuple[float, float, list[float]]:
    import ray

    from faceapp.core.library.distributed import analyse, check_worker, local_worker_env

    started = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {**local_worker_env(workers), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}})
    try:
        # Ray keeps one worker process per CPU for tasks and reuses it: the model loads once per process.
        warm = ray.remote(num_cpus=1)(lambda settings: (check_worker(settings), os.getpid()))
        pids = set()
        while len(pids) < workers:  # until every worker process has its model
            pids |= {pid for _, pid in ray.get([warm.remote(settings) for _ in range(workers * 2)])}
        startup = time.perf_counter() - started
        remote = ray.remote(num_cpus=1)(analyse)
        started = time.perf_counter()
        pending = [remote.remote(task, None, settings) for task in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            assert ray.get(done[0]).error is None
        seconds = time.perf_counter() - started
        rss_task = ray.remote(num_cpus=1)(lambda: (os.getpid(), max_rss_mb()))
        rss = dict(ray.get([rss_task.remote() for _ in range(workers * 4)]))
    finally:
        ray.shutdown()
    return startup, len(tasks) / seconds, list(rss.values())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--model", default="resnet50")
    args = parser.parse_args()

    from benchmarks.bench_cluster import prepared
    from faceapp.core.engine import descriptor_space
    from faceapp.core.library.distributed import _Settings

    _, models_dir, photos = prepared("faceapp-bench-ray-", args.model, args.photos)
    tasks = tasks_for(photos)
    space = descriptor_space(args.model, "vggface2", models_dir)
    settings = _Settings(args.model, "vggface2", str(models_dir), space.weights)
    print(f"{len(tasks)} photos, {args.model}, passes on 1 thread per process; load: {os.getloadavg()}")
    rates = {}
    for workers in (1, 2):
        for name, run in (("dask", run_dask), ("ray", run_ray)):
            startup, rate, rss = run(workers, tasks, settings)
            rates[name, workers] = rate
            print(f"{name}, {workers} worker(s): start-up {startup:.1f} s, {rate:.2f} photos/s, workers' max RSS "
                  f"{', '.join(f'{mb:.0f} MB' for mb in rss)}", flush=True)
    for name in ("dask", "ray"):
        print(f"{name}: 2 workers / 1 worker {rates[name, 2] / rates[name, 1]:.2f}x")
    print(f"ray / dask photos/s: 1 worker {rates['ray', 1] / rates['dask', 1]:.2f}x, "
          f"2 workers {rates['ray', 2] / rates['dask', 2]:.2f}x; load after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
