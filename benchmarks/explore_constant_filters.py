"""The model's forward pass in three forms, measured in one process.

    python benchmarks/explore_constant_filters.py [--runs 25] [--model resnet50]

1. the Keras form (the model called inside a traced function),
2. batch normalisations folded into the convolutions, filters as variables
   (``folded_forward(model)``: what faceapp ships),
3. the same with the filters as graph constants (``folded_forward(model, constants=True)``):
   TensorFlow's oneDNN convolutions re-lay-out a filter that is not a constant on every call.

On generated weights in the official layout, for each: the build + first call (what a model
load adds), the time per call at batch 1, 2 and 4 (medians of alternating runs, so machine
noise hits all alike), the largest output difference from the Keras form, and the memory each
form adds (process RSS after ``malloc_trim``, built one after another).  BENCHMARKS.md
("The model's forward pass") has the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _rss_mb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--model", default="resnet50", choices=["resnet50", "senet50", "vgg16"])
    options = parser.parse_args()

    import ctypes

    import numpy as np

    from tests.reference import tensorflow
    from tests.reference.folded import folded_forward
    from tests.reference.models import build_model
    from faceapp.core.vggface.synthetic import write_synthetic_model_files
    from tests.reference.weights import load_weights_into

    trim = getattr(ctypes.CDLL("libc.so.6"), "malloc_trim", None)

    def rss_mb() -> int:
        if trim is not None:
            trim(0)  # count what is in use, not what the allocator kept
        return _rss_mb()

    tf = tensorflow()
    folder = Path(tempfile.mkdtemp(prefix="faceapp-forward-forms-"))
    write_synthetic_model_files(folder, options.model, seed=7)
    model = build_model(options.model, include_top=True)
    load_weights_into(model, folder / f"rcmalli_vggface_tf_{options.model}.h5", options.model)
    batch1 = tf.constant(np.random.default_rng(0).random((1, 224, 224, 3), np.float32) * 255)

    @tf.function(input_signature=[tf.TensorSpec([None, 224, 224, 3], tf.float32)], autograph=False)
    def keras_form(batch):
        return model(batch, training=False)

    builders = {"Keras form": lambda: keras_form,
                "folded, variables": lambda: folded_forward(model),
                "folded, constants": lambda: folded_forward(model, constants=True)}
    forms, first_call, memory = {}, {}, {}
    for title, build in builders.items():
        before = rss_mb()
        started = time.perf_counter()
        forms[title] = build()
        forms[title](batch1)
        first_call[title] = time.perf_counter() - started
        memory[title] = rss_mb() - before
    reference = [np.asarray(out) for out in keras_form(batch1)]
    difference = {title: max(float(np.max(np.abs(np.asarray(a) - b))) for a, b in zip(form(batch1), reference))
                  for title, form in forms.items()}

    print(f"{options.model}, median of {options.runs} alternating calls; ratio against the Keras form")
    print("| | " + " | ".join(forms) + " |")
    print("|---|" + "---|" * len(forms))
    for batch_size in (1, 2, 4):
        batch = tf.constant(np.random.default_rng(batch_size).random((batch_size, 224, 224, 3), np.float32) * 255)
        times = {title: [] for title in forms}
        for form in forms.values():
            form(batch)
        for _ in range(options.runs):
            for title, form in forms.items():
                began = time.perf_counter()
                [np.asarray(out) for out in form(batch)]
                times[title].append(time.perf_counter() - began)
        medians = {title: statistics.median(t) * 1000 for title, t in times.items()}
        base = medians["Keras form"]
        print(f"| batch {batch_size} | " + " | ".join(f"{m:.1f} ms ({m / base:.2f})" for m in medians.values()) + " |")
    print("| build + first call | " + " | ".join(f"{first_call[t]:.2f} s" for t in forms) + " |")
    print("| memory added | " + " | ".join(f"{memory[t]} MB" for t in forms) + " |")
    print("| largest difference | " + " | ".join(f"{difference[t]:.1e}" for t in forms) + " |")
    print(f"peak process memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
