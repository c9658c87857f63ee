"""An exploration, not shipped: how much faster is ResNet-50 when its filters are graph constants?

    python benchmarks/explore_constant_filters.py [--runs 20] [--model resnet50]

faceapp's model runs as a traced Keras call whose weights are variables.  TensorFlow's
oneDNN convolutions re-lay-out a filter that is not a constant on every call.  This
script builds the same network from plain TF ops with each batch normalisation folded
into its convolution and the convolution filters embedded as constants, on generated
weights in the official layout, and reports for both forms: the first call (what a
model load would add), the time per face at batch 1 and 4 (medians of alternating
runs), the largest output difference, and the process's memory.  BENCHMARKS.md
("The model's forward pass") has the figures and why this is not shipped yet.
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


def constant_form(plain, name: str):
    """The network of ``plain`` (a loaded faceapp ResNet model) in TF ops: BN folded, filters constants."""
    import numpy as np

    from faceapp.core.backend import tensorflow
    from faceapp.core.vggface.catalog import INPUT_SIZE, keras_name
    from faceapp.core.vggface.models import _RESNET50_STAGES

    tf = tensorflow()
    arrays = {}
    for layer in plain.layers:
        if layer.weights and layer.__class__.__name__ == "Conv2D":
            weights = [np.asarray(w) for w in layer.get_weights()]
            try:
                bn = plain.get_layer(layer.name + keras_name("/bn"))  # its batch normalisation, if any
            except ValueError:
                bn = None
            if bn is not None:
                gamma, beta, mean, var = (np.asarray(w, np.float64) for w in bn.get_weights())
                scale = gamma / np.sqrt(var + bn.epsilon)
                weights = [(weights[0] * scale).astype(np.float32), (beta - mean * scale).astype(np.float32)]
            arrays[layer.name] = weights
    classifier = [tf.constant(np.asarray(w)) for w in plain.get_layer("classifier").get_weights()] \
        if any(layer.name == "classifier" for layer in plain.layers) else None
    squeeze_excite = name == "senet50"

    @tf.function(input_signature=[tf.TensorSpec([None, INPUT_SIZE, INPUT_SIZE, 3], tf.float32)], autograph=False)
    def forward(x):
        filters = {key: [tf.constant(a) for a in value] for key, value in arrays.items()}  # in-graph constants

        def conv(x, layer, stride=1, padding="VALID"):
            kernel, bias = filters[keras_name(layer)]
            return tf.nn.bias_add(tf.nn.conv2d(x, kernel, stride, padding), bias)

        x = tf.nn.relu(conv(x, "conv1/7x7_s2", 2, "SAME"))
        x = tf.nn.max_pool2d(x, 3, 2, "VALID")
        for stage, blocks, _ in _RESNET50_STAGES:
            for block in range(1, blocks + 1):
                prefix, stride = f"conv{stage}_{block}", (2 if block == 1 and stage > 2 else 1)
                y = tf.nn.relu(conv(x, f"{prefix}_1x1_reduce", stride))
                y = tf.nn.relu(conv(y, f"{prefix}_3x3", 1, "SAME"))
                y = conv(y, f"{prefix}_1x1_increase")
                if squeeze_excite:
                    z = tf.nn.relu(conv(tf.reduce_mean(y, axis=[1, 2], keepdims=True), f"{prefix}_1x1_down"))
                    y = y * tf.sigmoid(conv(z, f"{prefix}_1x1_up"))
                x = tf.nn.relu(y + (conv(x, f"{prefix}_1x1_proj", stride) if block == 1 else x))
        descriptor = tf.reshape(tf.nn.avg_pool2d(x, 7, 7, "VALID"), [-1, x.shape[-1]])
        if classifier is None:
            return [descriptor]
        return [descriptor, tf.nn.softmax(tf.matmul(descriptor, classifier[0]) + classifier[1])]

    return forward


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--model", default="resnet50", choices=["resnet50", "senet50"])
    options = parser.parse_args()

    import numpy as np

    from faceapp.core.backend import tensorflow
    from faceapp.core.vggface.runtime import VGGFaceModel
    from faceapp.core.vggface.synthetic import write_synthetic_model_files

    tf = tensorflow()
    folder = tempfile.mkdtemp(prefix="faceapp-constant-filters-")
    write_synthetic_model_files(folder, options.model, seed=7)
    before = _rss_mb()
    started = time.perf_counter()
    model = VGGFaceModel.from_store(options.model, folder)
    batch1 = tf.constant(np.random.default_rng(0).random((1, 224, 224, 3), np.float32) * 255)
    model._forward(batch1)
    plain_load = time.perf_counter() - started
    plain_rss = _rss_mb()
    started = time.perf_counter()
    constant = constant_form(model._model, options.model)
    constant(batch1)
    constant_first = time.perf_counter() - started
    constant_rss = _rss_mb()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    difference = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                     for a, b in zip(model._forward(batch1), constant(batch1)))

    def per_call(forward, batch, runs):
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            [np.asarray(out) for out in forward(batch)]
            times.append(time.perf_counter() - began)
        return times

    for batch_size in (1, 4):
        batch = tf.constant(np.random.default_rng(batch_size).random((batch_size, 224, 224, 3), np.float32) * 255)
        per_call(model._forward, batch, 2), per_call(constant, batch, 2)
        plain_times, constant_times = [], []
        for _ in range(options.runs):  # alternate, so both see the same machine
            plain_times += per_call(model._forward, batch, 1)
            constant_times += per_call(constant, batch, 1)
        p, c = statistics.median(plain_times) * 1000, statistics.median(constant_times) * 1000
        print(f"{options.model} batch {batch_size}: Keras form {p:.1f} ms, constant filters {c:.1f} ms, "
              f"ratio {c / p:.2f}")
    print(f"build + load + first call, Keras form: {plain_load:.2f} s; the constant form's first call adds "
          f"{constant_first:.2f} s")
    print(f"memory: {before} MB before, {plain_rss} MB with the Keras form, {constant_rss} MB with both; "
          f"peak {peak} MB; largest output difference {difference:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
