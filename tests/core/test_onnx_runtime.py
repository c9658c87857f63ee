"""The model on ONNX Runtime: graph cache, refusal of bad files, providers, and no TensorFlow in the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.detection.mtcnn import LEVEL_WORKERS
from faceapp.core.errors import FaceAppError, WeightsError
from faceapp.core.vggface.graph_cache import CACHE_FOLDER, load_graph
from faceapp.core.runtime import INTRA_OP_THREADS, PROVIDERS_ENV, THREADS_ENV, cores, execution_providers, pass_threads
from faceapp.core.vggface.runtime import VGGFaceModel
from faceapp.core.vggface.synthetic import random_arrays, write_synthetic_weights

# VGG16 without its classifier: the smallest of the six graphs (59 MB), so these tests stay quick.
MODEL = "vgg16"


@pytest.fixture()
def weights(tmp_path) -> Path:
    return write_synthetic_weights(tmp_path / "rcmalli_vggface_tf_notop_vgg16.h5", MODEL, include_top=False, seed=4)


def _crops(count: int = 2) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (count, 224, 224, 3)).astype(np.float32)


def _record(weights: Path) -> Path:
    return weights.parent / CACHE_FOLDER / f"{weights.stem}.json"


def test_graph_is_built_once_then_read_from_the_cache(weights):
    first = VGGFaceModel(MODEL, weights, None, include_top=False)
    assert not first.graph_from_cache
    record = json.loads(_record(weights).read_text())
    assert record["fingerprint"] == first.fingerprint and record["graph"].endswith(f"{first.fingerprint}.onnx")
    second = VGGFaceModel(MODEL, weights, None, include_top=False)
    assert second.graph_from_cache and second.fingerprint == first.fingerprint
    np.testing.assert_array_equal(first.run(_crops())[0], second.run(_crops())[0])


def test_a_corrupt_cached_graph_is_rebuilt_never_run(weights):
    built = load_graph(weights, MODEL, include_top=False)
    graph = weights.parent / CACHE_FOLDER / json.loads(_record(weights).read_text())["graph"]
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit in a filter: still a valid protobuf, wrong numbers
    graph.write_bytes(bytes(data))
    again = load_graph(weights, MODEL, include_top=False)
    assert not again.from_cache and again.read() == built.read()
    assert graph.read_bytes() == built.read()  # the cache was repaired
    graph.write_bytes(built.read()[:1000])  # truncated
    assert not load_graph(weights, MODEL, include_top=False).from_cache
    _record(weights).write_text("{not json")
    assert not load_graph(weights, MODEL, include_top=False).from_cache
    assert load_graph(weights, MODEL, include_top=False).from_cache


def test_replaced_weights_get_a_new_graph(weights):
    old = load_graph(weights, MODEL, include_top=False)
    write_synthetic_weights(weights, MODEL, include_top=False, seed=5)
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    new = load_graph(weights, MODEL, include_top=False)
    assert not new.from_cache and new.fingerprint != old.fingerprint
    assert [p.name for p in (weights.parent / CACHE_FOLDER).glob("*.onnx")] == [f"{weights.stem}.{new.fingerprint}.onnx"]


def test_an_unwritable_model_folder_costs_only_the_cache(weights):
    (weights.parent / CACHE_FOLDER).write_text("a file where the cache folder would go")
    graph = load_graph(weights, MODEL, include_top=False)
    assert not graph.from_cache and graph.read()
    assert not load_graph(weights, MODEL, include_top=False).from_cache


@pytest.mark.parametrize("change,message", [
    (lambda a: a.pop("conv3_2"), r"'rcmalli_vggface_tf_notop_vgg16.h5' has no weights for layer 'conv3_2'"),
    (lambda a: a["conv1_1"].update(kernel=a["conv1_1"]["kernel"][..., :32]), r"has shape .* 'conv1_1/kernel'"),
    (lambda a: a["conv5_3"]["bias"].__setitem__(0, np.nan), r"not finite numbers in 'conv5_3/bias'"),
])
def test_a_broken_weights_file_is_refused_by_name_and_nothing_is_cached(tmp_path, change, message):
    arrays = random_arrays(MODEL, False, seed=2)
    change(arrays)
    path = write_synthetic_weights(tmp_path / "rcmalli_vggface_tf_notop_vgg16.h5", MODEL, include_top=False,
                                   arrays=arrays)
    with pytest.raises(WeightsError, match=message):
        VGGFaceModel(MODEL, path, None, include_top=False)
    assert not (tmp_path / CACHE_FOLDER).exists()


def test_another_models_file_is_refused(tmp_path):
    path = write_synthetic_weights(tmp_path / "w.h5", "senet50", include_top=False, seed=1)
    with pytest.raises(WeightsError, match="not a VGG16"):
        VGGFaceModel(MODEL, path, None, include_top=False)


def test_providers_are_chosen_in_one_place(monkeypatch):
    monkeypatch.delenv(PROVIDERS_ENV, raising=False)
    assert execution_providers() == ["CPUExecutionProvider"]
    monkeypatch.setenv(PROVIDERS_ENV, " CPUExecutionProvider ")
    assert execution_providers() == ["CPUExecutionProvider"]
    monkeypatch.setenv(PROVIDERS_ENV, "NoSuchExecutionProvider,CPUExecutionProvider")
    with pytest.raises(FaceAppError, match=f"no execution provider 'NoSuchExecutionProvider'; set {PROVIDERS_ENV}"):
        execution_providers()


def _uses_shared_arena(options) -> bool:  # noqa: ANN001 - onnxruntime.SessionOptions
    try:
        return options.get_session_config_entry("session.use_env_allocators") == "1"
    except RuntimeError:  # ONNX Runtime's answer for an entry never set
        return False


def test_sessions_are_made_in_one_place_with_its_settings(monkeypatch):
    """Every session (the detector's three networks here) comes from ``runtime.session``: its threads and its
    choice about ONNX Runtime's memory arena (BENCHMARKS.md) hold for each — with the arena, the one arena the
    process's sessions share."""
    from faceapp.core import runtime
    from faceapp.core.detection.mtcnn import MTCNN

    for arena in (True, False):
        monkeypatch.setattr(runtime, "CPU_MEMORY_ARENA", arena)
        for name, network in MTCNN()._sessions.items():
            options = network.get_session_options()
            assert options.enable_cpu_mem_arena is arena, name
            assert _uses_shared_arena(options) is arena, name
            # P-Net's levels run side by side (mtcnn.LEVEL_WORKERS), each on its share of the cores.
            workers = min(LEVEL_WORKERS, cores())
            expected = cores() // workers if name == "pnet" and workers > 1 else pass_threads()
            assert options.intra_op_num_threads == expected, name


def test_pnet_levels_side_by_side_find_what_one_after_another_finds(monkeypatch):
    """P-Net's levels on two workers, each pass on one core, give the same faces as the levels one after
    another on both cores; with ``FACEAPP_THREADS=1`` there is one worker, on one thread."""
    from faceapp.core.detection import mtcnn
    from faceapp.core.images import load_image
    from tests.testdata import FACES

    monkeypatch.setattr("faceapp.core.runtime.cores", lambda: 2)
    monkeypatch.delenv(THREADS_ENV, raising=False)
    side_by_side = mtcnn.MTCNN()
    assert side_by_side._workers is not None and side_by_side._sessions["pnet"].get_session_options().intra_op_num_threads == 1
    monkeypatch.setattr(mtcnn, "LEVEL_WORKERS", 1)
    in_turn = mtcnn.MTCNN()
    assert in_turn._workers is None
    for name in ("two_people.jpg", "obama.jpg"):
        image = load_image(FACES / name)
        height, width = image.shape[:2]
        size = (round(width * 600 / max(height, width)), round(height * 600 / max(height, width)))
        ours, theirs = side_by_side.detect(image, size=size), in_turn.detect(image, size=size)
        assert len(ours.boxes) >= 1 and len(ours.boxes) == len(theirs.boxes), name
        np.testing.assert_allclose(ours.boxes, theirs.boxes, atol=1e-3)
        np.testing.assert_allclose(ours.scores, theirs.scores, atol=1e-5)
        # The working image and the patches, cut in two halves side by side, are the same arrays.
        pyramid = side_by_side.pyramid(image, *size)
        assert np.array_equal(pyramid.planes, mtcnn.working_planes(image, *size))
        rng = np.random.default_rng(5)
        corners = rng.uniform(-20, size[0] - 10, (300, 2))
        boxes = np.concatenate([corners, corners + rng.uniform(8, 200, (300, 1)), np.ones((300, 1))], 1)
        levels = pyramid.turned(1)
        assert len(boxes) * 24 * 24 >= mtcnn._SPLIT_SAMPLES  # enough boxes that _patches does split them
        assert np.array_equal(side_by_side._patches(levels, boxes.astype(np.float32), 24),
                              levels.patches(boxes.astype(np.float32), 24))
    monkeypatch.undo()
    monkeypatch.setenv(THREADS_ENV, "1")
    alone = mtcnn.MTCNN()
    assert alone._workers is None and all(
        network.get_session_options().intra_op_num_threads == 1 for network in alone._sessions.values())


def test_an_onnx_runtime_refusing_the_shared_arena_still_runs_with_one_per_session(monkeypatch):
    """Where ONNX Runtime cannot register the shared arena, sessions keep their own (its default) and detect."""
    import onnxruntime

    from faceapp.core import runtime
    from faceapp.core.detection.mtcnn import MTCNN

    def refuse(*_args):  # noqa: ANN202
        raise RuntimeError("an allocator for this device is already registered")

    monkeypatch.setattr(runtime, "_arena_shared", [])  # as in a fresh process
    monkeypatch.setattr(onnxruntime, "create_and_register_allocator", refuse)
    detector = MTCNN()
    for name, network in detector._sessions.items():
        options = network.get_session_options()
        assert options.enable_cpu_mem_arena and not _uses_shared_arena(options), name
    assert detector.detect(np.zeros((60, 80, 3), np.uint8)).boxes.shape == (0, 4)


def test_many_faces_go_through_the_model_a_few_at_a_time(weights, monkeypatch):
    """A group photo's faces are described in passes of at most ``PASS_FACES`` (ONNX Runtime keeps the memory
    a pass took, so one pass of 60 faces would stay with the process), each face as it is alone."""
    from faceapp.core.vggface.runtime import PASS_FACES

    model = VGGFaceModel(MODEL, weights, None, include_top=False)
    crops = _crops(2 * PASS_FACES + 3)
    real, passes = model._session.run, []
    monkeypatch.setattr(model._session, "run", lambda names, feeds: passes.append(len(feeds[model._input]))
                        or real(names, feeds))
    descriptors, probabilities = model.run(crops)
    assert passes == [PASS_FACES, PASS_FACES, 3] and probabilities is None
    assert descriptors.shape == (len(crops), model.descriptor_dim)
    for index in (0, PASS_FACES, len(crops) - 1):
        alone, _ = model.run(crops[index:index + 1])
        np.testing.assert_allclose(descriptors[index], alone[0], atol=1e-5)


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_threads_per_pass_come_from_the_environment_or_one_sentence(monkeypatch, value):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert pass_threads() == INTRA_OP_THREADS
    monkeypatch.setenv(THREADS_ENV, " 3 ")
    assert pass_threads() == 3
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(FaceAppError, match=f"^{THREADS_ENV} is '{value}'; set it to a whole number of threads"):
        pass_threads()


def test_local_cluster_workers_share_the_cores(monkeypatch):
    from faceapp.core.library.distributed import local_worker_env

    monkeypatch.delenv(THREADS_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert local_worker_env(2) == {THREADS_ENV: "4"} and local_worker_env(16) == {THREADS_ENV: "1"}
    monkeypatch.setenv(THREADS_ENV, "2")  # the user's own setting wins
    assert local_worker_env(2) == {THREADS_ENV: "2"}


_HEAP_OR_MAPPED = """
import ctypes, json
from faceapp.core.runtime import MMAP_THRESHOLD, settle_allocator
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.sbrk.restype, libc.sbrk.argtypes = ctypes.c_void_p, [ctypes.c_long]

def from_heap(size):  # a heap block lies below the program break; a mapped one far above it
    block = libc.malloc(size)
    below = block < libc.sbrk(0)
    libc.free(block)
    return below

before = from_heap(8 << 20)
applied = settle_allocator()
print(json.dumps([before, applied, from_heap(8 << 20), from_heap(MMAP_THRESHOLD + (1 << 20))]))
"""


@pytest.mark.skipif(sys.platform != "linux" or os.confstr("CS_GNU_LIBC_VERSION") is None,
                    reason="the thresholds are glibc's")
def test_a_dask_workers_allocator_settings_are_undone():
    """Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which pins the mmap threshold at 128 KiB:
    every pyramid level is then mapped and faulted in anew. After settle_allocator an 8 MiB block comes from the
    heap again, and a block above MMAP_THRESHOLD is still mapped."""
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    result = subprocess.run([sys.executable, "-c", _HEAP_OR_MAPPED], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, True, True, False]


def test_the_app_runs_a_model_without_tensorflow_or_keras(tmp_path):
    """Generated files, the graph and a forward pass in a fresh process: neither TensorFlow nor Keras is imported."""
    code = (
        "import sys, numpy as np\n"
        "from faceapp.core.vggface.synthetic import write_synthetic_model_files\n"
        "from faceapp.core.vggface.runtime import VGGFaceModel\n"
        f"path = write_synthetic_model_files({str(tmp_path)!r}, 'vgg16', include_top=False, seed=3)\n"
        "d, p = VGGFaceModel('vgg16', path, None, include_top=False).run(np.zeros((1, 224, 224, 3), np.float32))\n"
        "assert d.shape == (1, 512) and p is None\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_no_recognition_module_imports_tensorflow_or_keras():
    import faceapp.core.vggface as package

    direct = ("import tensorflow", "from tensorflow", "import keras", "from keras", "from faceapp.core.backend")
    offenders = [f"{path.name}:{number}" for path in Path(package.__file__).parent.rglob("*.py")
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if line.strip().startswith(direct)]
    assert offenders == []


def test_a_classifiers_identities_survive_the_passes(engine):
    """With the classifier, each face's identities come from its own pass's softmax, in the faces' order."""
    from faceapp.core.vggface.runtime import PASS_FACES

    crops = _crops(PASS_FACES + 2)
    descriptors, probabilities = engine.model.run(crops)
    assert probabilities is not None and probabilities.shape == (len(crops), engine.model.spec.classes)
    alone_descriptors, alone = engine.model.run(crops[-1:])
    np.testing.assert_allclose(probabilities[-1], alone[0], atol=1e-6)
    np.testing.assert_allclose(descriptors[-1], alone_descriptors[0], atol=1e-5)
