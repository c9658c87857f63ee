"""A built Keras model's forward pass as one traced graph, batch normalisations folded away.

Why: each ``BatchNormalization`` after a convolution is two more passes over the
activations (Keras 3 states it as a multiply and an add), and it stops TensorFlow from
fusing the convolution with its bias and ReLU.  Folded into the convolution's filter and
bias, the same network runs ResNet-50 in 0.83–0.93× the time of the Keras form at
batch sizes 1–4 (BENCHMARKS.md, "The model's forward pass").  It was faceapp's model pass
before ONNX Runtime; it stays as the TensorFlow baseline of benchmarks/bench_onnx.py.

How: the model's own layers are walked in their order (a functional model lists each
layer after the layers it reads), each layer's input looked up by the tensor it was
built on, so the architecture stays stated once, in :mod:`models`.  A ``Conv2D`` with no activation
of its own whose only reader is a ``BatchNormalization`` becomes ``conv2d`` + ``bias_add`` with the
normalisation folded in (computed in float64, kept in float32); every other layer is
called as it is.  The result agrees with the Keras form to float32 round-off
(tests/core/test_folded.py), so descriptors are interchangeable with the Keras form's.

``constants=True`` embeds the folded filters as graph constants instead of variables
(oneDNN then keeps its re-laid-out copy between calls).  It is only used by
``benchmarks/explore_constant_filters.py``: it costs ~650 MB and ~2.6 s of model
load for about 10 % more (BENCHMARKS.md).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tests.reference import tensorflow
from faceapp.core.vggface.catalog import INPUT_SIZE

__all__ = ["folded_forward"]


def _folded(conv: Any, bn: Any | None) -> tuple[np.ndarray, np.ndarray | None]:
    """``conv``'s (kernel, bias), with ``bn`` (a BatchNormalization of its output) folded in."""
    weights = [np.asarray(w) for w in conv.get_weights()]
    kernel, bias = weights[0], (weights[1] if conv.use_bias else None)
    if bn is None:
        return kernel, bias
    axis = bn.axis if isinstance(bn.axis, int) else (bn.axis[0] if len(bn.axis) == 1 else None)
    if axis not in (-1, 3) or not (bn.center and bn.scale):
        raise ValueError(f"cannot fold {bn.name}: only a channel-last BatchNormalization with scale and offset")
    gamma, beta, mean, variance = (np.asarray(w, np.float64) for w in bn.get_weights())
    scale = gamma / np.sqrt(variance + bn.epsilon)
    shift = beta - mean * scale
    if bias is not None:
        shift = shift + bias.astype(np.float64) * scale
    return (kernel.astype(np.float64) * scale).astype(np.float32), shift.astype(np.float32)


def _tensor_ids(value: Any) -> list[int]:
    return [id(t) for t in (value if isinstance(value, (list, tuple)) else [value])]


def folded_forward(model: Any, constants: bool = False) -> Callable[[Any], list[Any]]:
    """A ``tf.function``: ``(N, 224, 224, 3)`` float32 → the model's outputs (a list), traced once.

    ``model``: a built functional Keras model with its weights loaded, each layer called
    once.  It is not changed and stays usable; the folded filters are new tensors.
    """
    tf = tensorflow()
    layers = [layer for layer in model.layers if layer.__class__.__name__ != "InputLayer"]
    consumers: dict[int, list[Any]] = {}
    for layer in layers:
        for tensor_id in _tensor_ids(layer.input):
            consumers.setdefault(tensor_id, []).append(layer)

    convolutions: dict[str, tuple[Any, Any, Any]] = {}  # conv name → (kernel, bias or None, BN folded or None)
    for layer in layers:
        if layer.__class__.__name__ != "Conv2D":
            continue
        if layer.data_format != "channels_last" or tuple(layer.dilation_rate) != (1, 1) or layer.groups != 1:
            raise ValueError(f"cannot fold {layer.name}: only plain channels-last convolutions")
        users = consumers.get(id(layer.output), [])
        foldable = (len(users) == 1 and users[0].__class__.__name__ == "BatchNormalization"
                    and layer.get_config().get("activation") == "linear")  # nothing between the two
        bn = users[0] if foldable else None
        kernel, bias = _folded(layer, bn)
        convolutions[layer.name] = (kernel, bias, bn)
    folded_bns = {bn.name for _, _, bn in convolutions.values() if bn is not None}
    if not constants:
        convolutions = {name: (tf.Variable(kernel, trainable=False),
                               None if bias is None else tf.Variable(bias, trainable=False), bn)
                        for name, (kernel, bias, bn) in convolutions.items()}
    output_ids = _tensor_ids(model.outputs)

    def tensor(value: Any) -> Any:  # (inside the trace) a constant is embedded in the graph, a variable read
        return tf.constant(value) if constants else value

    def convolve(layer: Any, x: Any) -> Any:
        kernel, bias, bn = convolutions[layer.name]
        y = tf.nn.conv2d(x, tensor(kernel), strides=tuple(layer.strides), padding=layer.padding.upper())
        if bias is not None:
            y = tf.nn.bias_add(y, tensor(bias))
        return y if bn is not None else layer.activation(y)  # a folded one has none (linear)

    @tf.function(input_signature=[tf.TensorSpec([None, INPUT_SIZE, INPUT_SIZE, 3], tf.float32)], autograph=False)
    def forward(batch: Any) -> list[Any]:
        values = {id(model.inputs[0]): batch}
        for layer in layers:
            if layer.name in folded_bns:
                continue  # its output was set by the convolution folded into it
            inputs = [values[i] for i in _tensor_ids(layer.input)]
            if layer.name in convolutions:
                out = convolve(layer, inputs[0])
                bn = convolutions[layer.name][2]
                if bn is not None:
                    values[id(bn.output)] = out
            else:
                out = layer(inputs if isinstance(layer.input, (list, tuple)) else inputs[0], training=False)
            values[id(layer.output)] = out
        return [values[i] for i in output_ids]

    forward.get_concrete_function()  # trace now: the one trace serves every batch size
    if constants:
        # The graph holds the filters now; were it ever traced again, every layer would run as Keras states it.
        convolutions.clear()
        folded_bns.clear()
    return forward
