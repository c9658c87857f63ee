"""Model look-up, download (resume, cancel, validation) and import, against a local server."""

from __future__ import annotations

import shutil

import pytest

from faceapp.core.errors import (
    DownloadCancelled,
    DownloadError,
    ModelFilesMissing,
    WeightsError,
)
from faceapp.core.vggface import model_files as store
from faceapp.core.vggface.synthetic import write_synthetic_labels
from tests.helpers import FileServer


def test_locate_prefers_full_model_then_notop(tmp_path, models_dir, notop_models_dir):
    located = store.locate("resnet50", models_dir)
    assert located.include_top and located.labels is not None
    assert not store.locate("resnet50", notop_models_dir).include_top


def test_missing_model_says_what_to_do(tmp_path):
    with pytest.raises(ModelFilesMissing) as info:
        store.locate("senet50", tmp_path)
    message = str(info.value)
    assert "rcmalli_vggface_tf_senet50.h5" in message and "faceapp-cli models download senet50" in message
    assert str(tmp_path) in message and "rcmalli_vggface_labels_v2.npy" in info.value.missing


def test_search_order_env_then_keras_cache(tmp_path, monkeypatch, models_dir):
    keras_home = tmp_path / "kh"
    cache = keras_home / "models" / "vggface"
    cache.mkdir(parents=True)
    for path in models_dir.iterdir():
        if path.is_file():  # the model files, not the folder of built graphs (onnx/)
            shutil.copy(path, cache / path.name)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    assert store.locate("resnet50").weights.parent == cache  # keras-vggface's downloads are reused
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    for path in models_dir.iterdir():
        if path.is_file():
            shutil.copy(path, env_dir / path.name)
    monkeypatch.setenv("FACEAPP_MODELS_DIR", str(env_dir))
    assert store.locate("resnet50").weights.parent == env_dir
    assert store.default_target_dir() == env_dir


def test_download_validates_and_renames(tmp_path, server, models_dir):
    seen = []
    paths = store.download_model("resnet50", models_dir=tmp_path / "m", base_url=server,
                                 progress=lambda f, d, t: seen.append((f, d, t)))
    assert [p.name for p in paths] == ["rcmalli_vggface_tf_resnet50.h5", "rcmalli_vggface_labels_v2.npy"]
    assert paths[0].read_bytes() == (models_dir / paths[0].name).read_bytes()
    assert seen[-1][1] == seen[-1][2] and not list((tmp_path / "m").glob("*.part"))


def test_interrupted_download_resumes_with_range(tmp_path, server):
    name = "rcmalli_vggface_labels_v2.npy"
    FileServer.cut_after = 10_000
    with pytest.raises(DownloadError, match="try again to resume"):
        store.download_file(name, tmp_path, base_url=server)
    assert (tmp_path / (name + ".part")).stat().st_size == 10_000
    final = store.download_file(name, tmp_path, base_url=server)
    assert final.read_bytes() == FileServer.files[name]
    assert FileServer.requests == ["full", "bytes=10000-"]


def test_cancel_keeps_part_file(tmp_path, server):
    calls = []
    with pytest.raises(DownloadCancelled, match="resumes"):
        store.download_file("rcmalli_vggface_tf_resnet50.h5", tmp_path, base_url=server,
                            progress=lambda d, t: calls.append(d), cancel=lambda: len(calls) >= 2)
    assert (tmp_path / "rcmalli_vggface_tf_resnet50.h5.part").exists()
    assert not (tmp_path / "rcmalli_vggface_tf_resnet50.h5").exists()


def test_invalid_download_is_deleted(tmp_path, server):
    FileServer.files["rcmalli_vggface_tf_resnet50.h5"] = b"<html>not found</html>"
    with pytest.raises(DownloadError, match="is not an HDF5 weights file"):
        store.download_model("resnet50", models_dir=tmp_path, base_url=server)
    assert list(tmp_path.iterdir()) == []  # the bad file is gone, no .part left


def test_http_error_and_unreachable(tmp_path, server):
    with pytest.raises(DownloadError, match="HTTP 404"):
        store.download_file("nothing.h5", tmp_path, base_url=server)
    with pytest.raises(DownloadError, match="internet connection"):
        store.download_file("x.h5", tmp_path, base_url="http://127.0.0.1:9/", timeout=2)


def test_import_renames_to_official_name(tmp_path, models_dir):
    picked = tmp_path / "my weights.h5"
    shutil.copy(models_dir / "rcmalli_vggface_tf_resnet50.h5", picked)
    target = tmp_path / "store"
    assert store.import_file(picked, target) == target / "rcmalli_vggface_tf_resnet50.h5"
    labels = write_synthetic_labels(tmp_path / "names.npy", 8631)
    assert store.import_file(labels, target).name == "rcmalli_vggface_labels_v2.npy"
    assert store.locate("resnet50", target).include_top


def test_import_refuses_garbage(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(WeightsError, match="'junk.h5'"):
        store.import_file(junk, tmp_path / "store")
    labels = write_synthetic_labels(tmp_path / "few.npy", 12)
    with pytest.raises(WeightsError, match="matches no model"):
        store.import_file(labels, tmp_path / "store")
    assert not (tmp_path / "store").exists() or not list((tmp_path / "store").iterdir())


# -- faults: each ends in one sentence, leaves no broken file, and a later good download works ---------

WEIGHTS = "rcmalli_vggface_tf_resnet50.h5"
LABELS = "rcmalli_vggface_labels_v2.npy"


def _one_sentence(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert message.rstrip().endswith(".") and message.count("; ") >= 1, message


def _assert_clean(folder, good: dict[str, bytes]) -> None:
    """No file under an official name unless complete; a .part may only hold a prefix of the real file."""
    for path in folder.iterdir() if folder.exists() else ():
        if path.suffix == ".part":
            assert good[path.name[:-5]].startswith(path.read_bytes()), path.name
        else:
            assert path.read_bytes() == good[path.name], path.name


def _then_good_download_works(folder, server, good):
    from tests.helpers import FileServer

    FileServer.cut_after = FileServer.stall_after = FileServer.status = None
    FileServer.short_by, FileServer.content_type = 0, "application/octet-stream"
    FileServer.files = dict(good)
    paths = store.download_model("resnet50", models_dir=folder, base_url=server, timeout=5)
    assert [p.read_bytes() for p in paths] == [good[WEIGHTS], good[LABELS]]
    assert sorted(p.name for p in folder.iterdir()) == sorted([WEIGHTS, LABELS])


@pytest.mark.parametrize("fault,pattern", [
    ("http404", "HTTP 404"),
    ("http500", "HTTP 500"),
    ("stall", "stalled"),
    ("short", "stopped at"),
    ("html", "web page instead of the file"),
    ("broken", "try the download again"),
])
def test_download_faults(tmp_path, server, fault, pattern):
    good = dict(FileServer.files)
    folder = tmp_path / "models"
    if fault == "http404":
        FileServer.files = {}
    elif fault == "http500":
        FileServer.status = 500
    elif fault == "stall":
        FileServer.stall_after = 50_000
    elif fault == "short":
        FileServer.short_by = 1000
    elif fault == "html":
        FileServer.content_type = "text/html; charset=utf-8"
    elif fault == "broken":
        size = len(good[WEIGHTS])
        FileServer.files = {**good, WEIGHTS: bytes(range(256)) * (size // 256) + b"\0" * (size % 256)}
    with pytest.raises(DownloadError, match=pattern) as info:
        store.download_model("resnet50", models_dir=folder, base_url=server, timeout=1.5)
    _one_sentence(str(info.value))
    _assert_clean(folder, good)
    _then_good_download_works(folder, server, good)


def test_full_disk_is_reported_and_the_part_removed(tmp_path, server, monkeypatch):
    import builtins
    import errno

    good = dict(FileServer.files)
    folder = tmp_path / "models"
    real_open = builtins.open

    class FullDisk:
        def __init__(self, handle):
            self.handle, self.written = handle, 0

        def write(self, data):
            self.written += len(data)
            if self.written > 300_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(data)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def close(self):
            self.handle.close()

    def fake_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return FullDisk(handle) if str(path).endswith(".part") and "b" in mode and "r" not in mode else handle

    monkeypatch.setattr(builtins, "open", fake_open)
    with pytest.raises(DownloadError, match="not enough free disk space") as info:
        store.download_model("resnet50", models_dir=folder, base_url=server)
    _one_sentence(str(info.value))
    assert not list(folder.iterdir())  # nothing left to fill the disk further
    monkeypatch.setattr(builtins, "open", real_open)
    _then_good_download_works(folder, server, good)


@pytest.mark.wallclock
def test_cancel_interrupts_a_stalled_read_at_once(tmp_path, server):
    import threading
    import time

    from faceapp.core.cancel import CancelToken

    FileServer.stall_after = 20_000
    token = CancelToken()
    threading.Timer(0.5, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(DownloadCancelled):
        store.download_file(WEIGHTS, tmp_path, base_url=server, cancel=token, timeout=60)
    assert time.monotonic() - started < 5  # not the 60 s read timeout
    assert (tmp_path / (WEIGHTS + ".part")).stat().st_size == 20_000
