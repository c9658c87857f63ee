"""Scans on a real Dask cluster (a LocalCluster of two single-threaded worker processes, started here)."""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from faceapp.cli import main  # noqa: E402 - after the skip
from faceapp.cli.common import EXIT_INPUT, EXIT_OK  # noqa: E402
from faceapp.core.engine import descriptor_space  # noqa: E402
from faceapp.core.library import Library  # noqa: E402
from faceapp.core.library.distributed import ClusterAnalyser, ClusterError, parse_cluster  # noqa: E402
from faceapp.core.library.scan import Scanner  # noqa: E402
from tests.helpers import make_folder  # noqa: E402

MODEL, CROP = "resnet50", "vggface2"


@pytest.fixture(scope="module")
def models_dir(notop_models_dir):
    """Files without the classifier: the scan does not need it, and each worker loads them faster."""
    return notop_models_dir


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each — as `dask worker --nthreads 1` on two machines."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as local:
        yield local


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """The scan tests' folder: four real photos (≤ 480 px), a broken file, a photo without a face, a loop."""
    return make_folder(tmp_path_factory.mktemp("cluster") / "photos")


@pytest.fixture(scope="module")
def local_library(tmp_path_factory, photos, models_dir):
    """The same folder scanned here, without a cluster: what every cluster scan must equal."""
    path = tmp_path_factory.mktemp("local") / "lib.sqlite"
    with Library.open(path) as library:
        Scanner(library, [photos], MODEL, CROP, models_dir=models_dir).run()
    return path


def contents(path: Path, models_dir: Path) -> dict[str, tuple]:
    """Every photo of a library: status, hash, size, error, and its faces (box, quality, descriptor)."""
    space = descriptor_space(MODEL, CROP, models_dir)
    with Library.open(path, create=False) as library:
        table = {}
        for record in library.photos_under("/").values():
            faces = library.faces_of(record.id)
            ids, vectors = library.descriptors(space, [f.id for f in faces])
            by_id = dict(zip(ids.tolist(), vectors))
            table[record.path] = (record.status, record.hash, record.width, record.height, record.error,
                                  [(f.face.box.as_list(), round(f.quality, 4), by_id[f.id]) for f in faces])
    return table


def assert_same_library(cluster_path: Path, local_path: Path, models_dir: Path) -> None:
    mine, theirs = contents(cluster_path, models_dir), contents(local_path, models_dir)
    assert sorted(mine) == sorted(theirs)
    for path, (*details, faces) in theirs.items():
        *my_details, my_faces = mine[path]
        assert my_details == details, path
        assert [(box, quality) for box, quality, _ in my_faces] == [(box, quality) for box, quality, _ in faces]
        for (_, _, mine_vector), (_, _, their_vector) in zip(my_faces, faces):
            np.testing.assert_allclose(mine_vector, their_vector, atol=1e-5)


class Writes:
    """Counts the photos a library records, by path (a photo written twice would show here)."""

    def __init__(self, library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: Counter[str] = Counter()
        save = library.save_photo

        def counting(path: str, *args, **kwargs):
            self.paths[path] += 1
            return save(path, *args, **kwargs)

        monkeypatch.setattr(library, "save_photo", counting)


def test_a_cluster_scan_gives_the_same_library_as_a_local_scan(tmp_path, cluster, photos, models_dir,
                                                                 local_library):
    with ClusterAnalyser(cluster.scheduler_address, MODEL, CROP, models_dir) as analyser, \
            Library.open(tmp_path / "lib.sqlite") as library:
        summary = Scanner(library, [photos], MODEL, CROP, models_dir=models_dir, analyser=analyser).run()
        again = Scanner(library, [photos], MODEL, CROP, models_dir=models_dir, analyser=analyser).run()
        info = library.info()
    assert (summary.photos, summary.new, summary.faces, summary.no_face, len(summary.errors)) == (6, 5, 5, 1, 1)
    assert again.unchanged == 6 and again.new == 0 and not analyser.left_out  # incremental as a local scan
    assert info["photos"] == 6 and info["faces"] == 5 and info["errors"] == 1
    assert_same_library(tmp_path / "lib.sqlite", local_library, models_dir)


def test_a_new_crop_recipe_describes_known_faces_on_the_workers(tmp_path, cluster, photos, models_dir):
    shutil.copy(photos / "work" / "obama.jpg", tmp_path / "obama.jpg")
    with Library.open(tmp_path / "lib.sqlite") as library:
        Scanner(library, [tmp_path], MODEL, CROP, models_dir=models_dir).run()
        with ClusterAnalyser(cluster.scheduler_address, MODEL, "tutorial", models_dir, send_photos=True) as analyser:
            summary = Scanner(library, [tmp_path], MODEL, "tutorial", models_dir=models_dir, analyser=analyser).run()
        face_id = library.faces_of(library.photo_by_path(str((tmp_path / "obama.jpg").resolve())).id)[0].id
        _, remote = library.descriptors(descriptor_space(MODEL, "tutorial", models_dir), [face_id])
    with Library.open(tmp_path / "local.sqlite") as library:
        Scanner(library, [tmp_path], MODEL, "tutorial", models_dir=models_dir).run()
        _, local = library.descriptors(descriptor_space(MODEL, "tutorial", models_dir))
    assert summary.described == 1 and summary.new == 0
    np.testing.assert_allclose(remote, local, atol=1e-5)


class BlockFolder(distributed.WorkerPlugin):
    """Makes one folder unreadable for the workers only — as a share not mounted on that machine."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def setup(self, worker) -> None:
        import faceapp.core.library.distributed as module

        folder = self.folder

        def blocked_open(path, *args, **kwargs):
            if str(path).startswith(folder):
                raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
            return open(path, *args, **kwargs)

        module.open = blocked_open  # shadows the builtin in that module only, in that worker process

    def teardown(self, worker) -> None:
        import faceapp.core.library.distributed as module

        del module.open


def test_photos_a_worker_cannot_read_are_reported_not_lost_and_send_photos_does_them(
        tmp_path, cluster, photos, models_dir, local_library, monkeypatch):
    hidden = str(photos / "work")
    with distributed.Client(cluster.scheduler_address) as client:
        client.register_plugin(BlockFolder(os.path.realpath(hidden)), name="block-folder")
        try:
            with ClusterAnalyser(cluster.scheduler_address, MODEL, CROP, models_dir) as analyser, \
                    Library.open(tmp_path / "lib.sqlite") as library:
                first = Scanner(library, [photos], MODEL, CROP, models_dir=models_dir, analyser=analyser).run()
                recorded = {record.path for record in library.photos_under("/").values()}
        finally:
            client.unregister_worker_plugin("block-folder")
    work = sorted(p for p in (os.path.realpath(p) for p in Path(hidden).iterdir()))
    assert sorted(path for path, _ in analyser.left_out) == work  # biden, broken, obama: reported...
    assert not recorded & set(work)  # ...and not recorded: the next scan does them
    message = analyser.left_out[0][1]
    assert "cannot read" in message and "--send-photos" in message and message.endswith(".")
    assert first.new == 3 and len(first.errors) == 3  # the family folder: 2 photos with faces, 1 without

    argv = ["scan", str(photos), "--library", str(tmp_path / "lib.sqlite"), "--models-dir", str(models_dir),
            "--cluster", cluster.scheduler_address, "--send-photos"]
    with distributed.Client(cluster.scheduler_address) as client:
        client.register_plugin(BlockFolder(os.path.realpath(hidden)), name="block-folder")
        try:
            assert main(argv) == EXIT_OK
        finally:
            client.unregister_worker_plugin("block-folder")
    assert_same_library(tmp_path / "lib.sqlite", local_library, models_dir)


def test_cluster_scan_from_the_cli_reports_the_cluster_in_json(tmp_path, cluster, photos, models_dir, capsys):
    import json

    argv = ["scan", str(photos), "--library", str(tmp_path / "lib.sqlite"), "--models-dir", str(models_dir),
            "--cluster", cluster.scheduler_address, "--json"]
    assert main(argv) == EXIT_OK
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"]["new"] == 5 and payload["summary"]["faces"] == 5
    assert payload["cluster"] == {"address": cluster.scheduler_address, "workers": 2, "send_photos": False,
                                  "left_out": []}


def test_no_scheduler_at_the_address_is_one_sentence(models_dir):
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(ClusterError) as caught:
        ClusterAnalyser(address, MODEL, CROP, models_dir, timeout=1)
    message = str(caught.value)
    assert message.startswith(f"No Dask scheduler answered at {address} within 1 s") and message.endswith(".")
    assert "dask scheduler" in message


def test_a_scheduler_without_workers_and_workers_without_model_files_are_one_sentence(tmp_path, cluster,
                                                                                        models_dir):
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://", dashboard_address=":0") as empty:
        with pytest.raises(ClusterError, match=r"has no workers; start some with 'dask worker tcp://"):
            ClusterAnalyser(empty.scheduler_address, MODEL, CROP, models_dir, timeout=1)
    empty_folder = tmp_path / "no-models"
    empty_folder.mkdir()
    with ClusterAnalyser(cluster.scheduler_address, MODEL, CROP, models_dir) as analyser:
        # The workers are told to look where this machine has files and they have none (another machine's path).
        analyser.settings = dataclasses.replace(analyser.settings, models_dir=str(empty_folder))
        with pytest.raises(ClusterError) as caught:
            analyser._check_workers(timeout=1)
    message = str(caught.value)
    assert message.startswith("The worker tcp://") and "cannot load the model" in message
    assert "model files are not on this machine" in message and message.endswith(".")


def test_a_worker_without_faceapp_is_one_sentence(tmp_path, models_dir):
    """A real `dask worker` process that cannot import faceapp (as on a machine where it is not installed)."""
    without = tmp_path / "without_faceapp.py"
    without.write_text("import sys\nsys.modules['faceapp'] = None  # import faceapp now fails\n")
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://", dashboard_address=":0") as empty:
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", empty.scheduler_address,
                                   "--nthreads", "1", "--no-nanny", "--preload", str(without)],
                                  cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with pytest.raises(ClusterError) as caught:
                ClusterAnalyser(empty.scheduler_address, MODEL, CROP, models_dir, timeout=120)
        finally:
            worker.terminate()
            worker.wait(60)
    message = str(caught.value)
    assert message.startswith("The worker tcp://") and message.endswith(
        'cannot import faceapp; install it with: pip install "faceapp[server]" on that machine, then restart the '
        "worker.")


@pytest.mark.parametrize("address, message", [
    ("local:0", "write local:N with N the number of worker processes"),
    ("local:many", "write local:N"),
    ("scheduler-host", "give the scheduler's, e.g. tcp://host:8786"),
])
def test_cluster_addresses_are_checked_before_connecting(address, message):
    with pytest.raises(ClusterError, match=message):
        parse_cluster(address)
    assert parse_cluster("local:3") == ("local", 3) and parse_cluster("tcp://h:8786") == ("tcp://h:8786", None)


def test_send_photos_without_a_cluster_is_a_usage_error(tmp_path, capsys):
    assert main(["scan", str(tmp_path), "--send-photos"]) == EXIT_INPUT
    assert "give --cluster too" in capsys.readouterr().err


def test_cancel_drops_what_is_pending_keeps_what_was_written_and_a_rerun_finishes(tmp_path, cluster, photos,
                                                                                   models_dir, local_library):
    with ClusterAnalyser(cluster.scheduler_address, MODEL, CROP, models_dir) as analyser, \
            Library.open(tmp_path / "lib.sqlite") as library:
        scanner = Scanner(library, [photos], MODEL, CROP, models_dir=models_dir, analyser=analyser)
        pending: list = []

        def stop_after_the_first(progress) -> None:  # as Ctrl+C after the first photo
            pending.extend(scanner._reading)

        first = scanner.run(progress=stop_after_the_first, cancel=lambda: bool(pending))
        kept = library.info()["photos"]
        assert first.cancelled and kept == 1 and pending
        assert all(future.cancelled() for future in pending if hasattr(future, "cancelled"))
        rest = Scanner(library, [photos], MODEL, CROP, models_dir=models_dir, analyser=analyser).run()
    assert rest.unchanged == 1 and rest.new + len(rest.errors) == 5 and not rest.cancelled
    assert_same_library(tmp_path / "lib.sqlite", local_library, models_dir)


# Last: the killed worker comes back (its nanny restarts it) without its model loaded.
def test_a_worker_killed_mid_scan_loses_nothing_and_writes_nothing_twice(tmp_path, cluster, photos, models_dir,
                                                                          local_library, monkeypatch):
    with ClusterAnalyser(cluster.scheduler_address, MODEL, CROP, models_dir) as analyser, \
            Library.open(tmp_path / "lib.sqlite") as library:
        writes = Writes(library, monkeypatch)
        killed: list[str] = []

        def kill_a_busy_worker(progress) -> None:
            if killed:
                return
            # After the first result: a worker still holding photos dies at once, as a machine switched off.
            busy = [worker for worker, keys in analyser.client.processing().items() if keys]
            if busy:
                killed.append(busy[0])
                pid = analyser.client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)

        summary = Scanner(library, [photos], MODEL, CROP, models_dir=models_dir, analyser=analyser).run(
            progress=kill_a_busy_worker)
    assert killed, "no worker was busy after the first result: nothing was tested"
    assert summary.photos == 6 and not analyser.left_out and not summary.cancelled
    assert set(writes.paths.values()) == {1} and len(writes.paths) == 6  # every photo once, none twice
    assert_same_library(tmp_path / "lib.sqlite", local_library, models_dir)


def test_the_desktop_app_never_imports_dask_and_a_cluster_scan_without_it_says_what_to_install(tmp_path):
    repo = Path(__file__).resolve().parents[2]
    script = ("import sys\nimport faceapp.cli, faceapp.core.library.scan, faceapp.core.library.distributed\n"
              "assert not {'dask', 'distributed'} & {m.split('.')[0] for m in sys.modules}, 'dask was imported'\n"
              "sys.modules['distributed'] = None  # as on a desktop install: the server extra is absent\n"
              f"sys.exit(faceapp.cli.main(['scan', {str(tmp_path)!r}, '--cluster', 'local:2', "
              f"'--library', {str(tmp_path / 'lib.sqlite')!r}]))")
    done = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True)
    assert done.returncode == EXIT_INPUT, done.stderr
    assert done.stderr.strip() == ("faceapp-cli: Scanning on a cluster needs dask.distributed, which is not "
                                   'installed; install it with: pip install "faceapp[server]".')
