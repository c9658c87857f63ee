"""The recognition model on ONNX Runtime against the folded TensorFlow pass it replaces, same weights, one run.

Measures, for one model (generated weights unless --models-dir holds the real files):
  * graph build: read + check the .h5, fold and build the graph, serialize (each phase, median);
  * cache load: read the cached graph + SHA-256, and the InferenceSession creation;
  * the model pass, batch 1 and 4, ONNX Runtime vs TensorFlow (tests/reference/folded.py), interleaved,
    as a ratio of medians (goal ≤ 0.85×), and the largest output difference;
  * --threads: ONNX Runtime's pass at batch 1 with other intra-op thread counts and with thread
    spinning switched the other way (ratio to faceapp's session);
  * peak RSS (VmHWM) of a fresh process after loading the model from the cache and one pass (and,
    for comparison, after building the TensorFlow pass and one call).

    python -m benchmarks.bench_onnx --model resnet50 --repeats 15
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


# ru_maxrss survives exec (it would report the parent's peak): read the new process's own VmHWM.
_PEAK = """
def _peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
"""

_RSS_ONNX = _PEAK + """
import sys
from faceapp.core.vggface.runtime import VGGFaceModel
model = VGGFaceModel(sys.argv[1], sys.argv[2], sys.argv[3] or None, include_top=sys.argv[4] == "1")
assert model.graph_from_cache
import numpy as np
model.run(np.zeros((1, 224, 224, 3), np.float32))
print(_peak_mb())
"""

_RSS_TF = _PEAK + """
import sys
import numpy as np
from tests.reference.folded import folded_forward
from tests.reference.models import build_model
from tests.reference.weights import load_weights_into
model = build_model(sys.argv[1], include_top=sys.argv[4] == "1")
load_weights_into(model, sys.argv[2], sys.argv[1])
forward = folded_forward(model)
forward(np.zeros((1, 224, 224, 3), np.float32))
print(_peak_mb())
"""


def _rss(script: str, *args: str) -> int:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--notop", action="store_true")
    parser.add_argument("--models-dir")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", default="", help="comma-separated intra-op thread counts to compare")
    args = parser.parse_args()

    import onnxruntime

    from faceapp.core import runtime as sessions_module
    from faceapp.core.vggface import runtime
    from faceapp.core.vggface.architecture import architecture
    from faceapp.core.vggface.catalog import get_spec
    from faceapp.core.vggface.graph import build_graph
    from faceapp.core.vggface.graph_cache import load_graph
    from faceapp.core.vggface.preprocess import preprocess_input
    from faceapp.core.vggface.synthetic import write_synthetic_model_files
    from faceapp.core.vggface.weights import load_checked_weights

    spec, top = get_spec(args.model), not args.notop
    folder = Path(args.models_dir or tempfile.mkdtemp(prefix="faceapp-bench-onnx-"))
    if args.models_dir is None:
        write_synthetic_model_files(folder, args.model, include_top=top, seed=1)
    weights = folder / spec.weights_filename(top)
    labels = str(folder / spec.labels_file) if top else ""
    report: dict[str, object] = {"model": args.model, "include_top": top, "weights": weights.name,
                                 "generated": args.models_dir is None, "onnxruntime": onnxruntime.__version__}

    build_repeats = max(1, min(3, args.repeats))
    timings: dict[str, list[float]] = {"read_check_ms": [], "build_ms": [], "serialize_ms": []}
    for _ in range(build_repeats):
        start = time.perf_counter()
        arrays, _ = load_checked_weights(weights, args.model, top)
        middle = time.perf_counter()
        proto = build_graph(architecture(args.model, top), arrays)
        built = time.perf_counter()
        data = proto.SerializeToString()
        end = time.perf_counter()
        del arrays, proto
        timings["read_check_ms"].append((middle - start) * 1000)
        timings["build_ms"].append((built - middle) * 1000)
        timings["serialize_ms"].append((end - built) * 1000)
    report.update({key: round(statistics.median(values)) for key, values in timings.items()})
    report["graph_mb"] = round(len(data) / 2**20, 1)
    load_graph(weights, args.model, top)  # fills the cache
    report["cache_read_ms"] = round(_median_ms(lambda: load_graph(weights, args.model, top), build_repeats))
    report["session_ms"] = round(_median_ms(lambda: runtime.VGGFaceModel(args.model, weights, labels or None, top),
                                            build_repeats))

    from tests.reference.folded import folded_forward
    from tests.reference.models import build_model
    from tests.reference.weights import load_weights_into

    model = runtime.VGGFaceModel(args.model, weights, labels or None, top)
    session = model._session
    keras_model = build_model(args.model, include_top=top)
    load_weights_into(keras_model, weights, args.model)
    forward = folded_forward(keras_model)
    rng = np.random.default_rng(0)
    for batch_size in (1, 4):
        batch = preprocess_input(rng.integers(0, 256, (batch_size, 224, 224, 3)).astype(np.float32),
                                 spec.preprocess_version)
        ort_out = session.run(None, {"input": batch})
        tf_out = [np.asarray(o) for o in forward(batch)]
        report[f"max_abs_diff_b{batch_size}"] = float(max(np.max(np.abs(a - b)) for a, b in zip(ort_out, tf_out)))
        ort_times, tf_times = [], []
        for _ in range(args.repeats):  # interleaved: both see the same load on a shared machine
            ort_times.append(_median_ms(lambda: session.run(None, {"input": batch}), 1))
            tf_times.append(_median_ms(lambda: forward(batch), 1))
        ort_ms, tf_ms = statistics.median(ort_times), statistics.median(tf_times)
        report[f"b{batch_size}"] = {"onnxruntime_ms": round(ort_ms, 1), "tensorflow_ms": round(tf_ms, 1),
                                    "ratio": round(ort_ms / tf_ms, 3)}
    if args.threads:  # session variants at batch 1 (one face: the common case), interleaved
        batch = preprocess_input(rng.integers(0, 256, (1, 224, 224, 3)).astype(np.float32), spec.preprocess_version)
        variants = {"default": (sessions_module.INTRA_OP_THREADS, sessions_module.ALLOW_SPINNING)}
        variants.update({f"{count} threads": (int(count), sessions_module.ALLOW_SPINNING) for count in args.threads.split(",")})
        variants[f"spinning {'off' if sessions_module.ALLOW_SPINNING else 'on'}"] = (
            sessions_module.INTRA_OP_THREADS, not sessions_module.ALLOW_SPINNING)
        defaults = sessions_module.INTRA_OP_THREADS, sessions_module.ALLOW_SPINNING
        sessions = {}
        for label, (threads, spinning) in variants.items():
            sessions_module.INTRA_OP_THREADS, sessions_module.ALLOW_SPINNING = threads, spinning
            sessions[label] = runtime.VGGFaceModel(args.model, weights, labels or None, top)._session
        sessions_module.INTRA_OP_THREADS, sessions_module.ALLOW_SPINNING = defaults
        times: dict[str, list[float]] = {label: [] for label in sessions}
        for _ in range(args.repeats):
            for label, sess in sessions.items():
                times[label].append(_median_ms(lambda: sess.run(None, {"input": batch}), 1))
        base = statistics.median(times["default"])
        report["session_variants_b1"] = {label: {"ms": round(statistics.median(t), 1),
                                                 "ratio_to_default": round(statistics.median(t) / base, 3)}
                                         for label, t in times.items()}
        del sessions
    del session, model, keras_model, forward
    report["peak_rss_mb_onnx_from_cache"] = _rss(_RSS_ONNX, args.model, str(weights), labels, "1" if top else "0")
    report["peak_rss_mb_tensorflow_folded"] = _rss(_RSS_TF, args.model, str(weights), labels, "1" if top else "0")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
