"""An ONNX graph of a VGGFace model, built from :mod:`architecture`'s table and a weight file's arrays.

Every batch normalisation that follows a convolution is folded into that convolution's
filter and bias (computed in float64, kept in float32): one pass over the activations
instead of three, and ONNX Runtime can fuse the convolution with its ReLU.  Nothing
else is changed, so the graph computes what keras-vggface's Keras model computes, to
float32 round-off (tests/core/test_onnx_equivalence.py).

The graph reads channels-last ``(N, 224, 224, 3)`` preprocessed BGR, like the Keras
model, and transposes once to ONNX's channels-first; VGG16's ``fc6`` rows are put in
channels-first order instead of transposing back before the flatten.  Node names are
the table's layer names (the weight files' names); a node a layer needs beyond its
first gets the layer name plus ``:`` and what it does.

``onnx`` (its helper API) is imported here only: loading a cached graph does not need it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from faceapp.core.vggface.architecture import INPUT_NAME, Architecture, Layer
from faceapp.core.vggface.catalog import INPUT_SIZE

__all__ = ["build_graph", "OPSET", "IR_VERSION"]

#: ONNX operator set and IR version of the graphs: every operator used is older than
#: opset 13, and ONNX Runtime ≥ 1.14 reads both (newer onnx packages default to newer ones).
OPSET = 17
IR_VERSION = 8

_ELEMENTWISE = {"relu": "Relu", "sigmoid": "Sigmoid", "add": "Add", "multiply": "Mul"}


class _Graph:
    """Nodes and initialisers being collected, and which tensor holds each layer's output."""

    def __init__(self, arch: Architecture, arrays: dict[str, dict[str, np.ndarray]]) -> None:
        import onnx.helper
        import onnx.numpy_helper

        self.helper, self.numpy_helper = onnx.helper, onnx.numpy_helper
        self.arch, self.arrays = arch, arrays
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.tensor: dict[str, str] = {}  # layer name → name of the tensor holding its output
        self.used: set[str] = set()  # layers whose arrays went into the graph

    def node(self, op: str, inputs: list[str], output: str, name: str, **attributes: Any) -> str:
        self.nodes.append(self.helper.make_node(op, inputs, [output], name=name, **attributes))
        return output

    def constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array, np.float32), name))
        return name

    def weights(self, layer: Layer) -> dict[str, np.ndarray]:
        self.used.add(layer.name)
        return self.arrays[layer.name]


def _fold(conv: dict[str, np.ndarray], bn: dict[str, np.ndarray] | None,
          epsilon: float) -> tuple[np.ndarray, np.ndarray | None]:
    """(kernel, bias) of a convolution with the normalisation of its output folded in."""
    kernel, bias = conv["kernel"], conv.get("bias")
    if bn is None:
        return kernel, bias
    gamma, beta, mean, variance = (bn[k].astype(np.float64) for k in ("gamma", "beta", "moving_mean",
                                                                        "moving_variance"))
    scale = gamma / np.sqrt(variance + epsilon)
    shift = beta - mean * scale
    if bias is not None:
        shift = shift + bias.astype(np.float64) * scale
    return (kernel.astype(np.float64) * scale).astype(np.float32), shift.astype(np.float32)


def _same_pads(size: int, kernel: int, strides: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding of one axis: (before, after), any odd pixel after."""
    total = max((-(-size // strides) - 1) * strides + kernel - size, 0)
    return total // 2, total - total // 2


def _conv(g: _Graph, layer: Layer, source: str, readers: dict[str, list[Layer]]) -> None:
    users = readers.get(layer.name, [])
    bn = users[0] if len(users) == 1 and users[0].op == "bn" and layer.activation is None else None
    kernel, bias = _fold(g.weights(layer), g.weights(bn) if bn else None, bn.epsilon if bn else 0.0)
    pads = [0, 0, 0, 0]
    if layer.padding == "same":
        in_height, in_width = _input_hw(g.arch, source)
        top, bottom = _same_pads(in_height, layer.kernel, layer.strides)
        left, right = _same_pads(in_width, layer.kernel, layer.strides)
        pads = [top, left, bottom, right]
    inputs = [g.tensor[source], g.constant(f"{layer.name}/kernel", kernel.transpose(3, 2, 0, 1))]  # HWIO → OIHW
    if bias is not None:
        inputs.append(g.constant(f"{layer.name}/bias", bias))
    out = layer.name if bn is None else bn.name
    conv_out = out if layer.activation is None else f"{layer.name}:conv"
    g.node("Conv", inputs, conv_out, layer.name, kernel_shape=[layer.kernel] * 2,
           strides=[layer.strides] * 2, pads=pads)
    if layer.activation is not None:
        g.node(_ELEMENTWISE[layer.activation], [conv_out], out, f"{layer.name}:{layer.activation}")
    g.tensor[layer.name] = out
    if bn is not None:
        g.tensor[bn.name] = out


def _input_hw(arch: Architecture, source: str) -> tuple[int, int]:
    if source == INPUT_NAME:
        return INPUT_SIZE, INPUT_SIZE
    shape = arch.by_name[source].shape
    return shape[0], shape[1]


def _dense(g: _Graph, layer: Layer, source: str) -> None:
    arrays = g.weights(layer)
    kernel = arrays["kernel"]
    reads = g.arch.by_name[source]
    flattened = g.arch.by_name[reads.inputs[0]].shape if reads.op == "flatten" else ()
    if len(flattened) == 3 and flattened[:2] != (1, 1):
        # Keras flattened (h, w, c); the graph flattens (c, h, w): reorder the kernel's rows to match.
        height, width, channels = flattened
        kernel = kernel.reshape(height, width, channels, -1).transpose(2, 0, 1, 3).reshape(kernel.shape)
    inputs = [g.tensor[source], g.constant(f"{layer.name}/kernel", kernel), g.constant(f"{layer.name}/bias",
                                                                                       arrays["bias"])]
    gemm_out = layer.name if layer.activation is None else f"{layer.name}:gemm"
    g.node("Gemm", inputs, gemm_out, layer.name)
    if layer.activation == "softmax":
        g.node("Softmax", [gemm_out], layer.name, f"{layer.name}:softmax", axis=1)
    elif layer.activation is not None:
        g.node(_ELEMENTWISE[layer.activation], [gemm_out], layer.name, f"{layer.name}:{layer.activation}")
    g.tensor[layer.name] = layer.name


def _layer(g: _Graph, layer: Layer, readers: dict[str, list[Layer]]) -> None:
    sources = [g.tensor[name] for name in layer.inputs]
    if layer.op == "conv":
        _conv(g, layer, layer.inputs[0], readers)
        return
    if layer.op == "bn":
        if layer.name not in g.tensor:  # a normalisation with no convolution to fold into: none in these models
            raise ValueError(f"cannot fold {layer.name}: it does not follow a convolution of its own")
        return
    if layer.op == "dense":
        _dense(g, layer, layer.inputs[0])
        return
    if layer.op in _ELEMENTWISE:
        g.node(_ELEMENTWISE[layer.op], sources, layer.name, layer.name)
    elif layer.op == "softmax":
        g.node("Softmax", sources, layer.name, layer.name, axis=1)
    elif layer.op in ("maxpool", "avgpool"):
        g.node("MaxPool" if layer.op == "maxpool" else "AveragePool", sources, layer.name, layer.name,
               kernel_shape=[layer.kernel] * 2, strides=[layer.strides] * 2)
    elif layer.op == "global_avgpool":
        pooled = g.node("GlobalAveragePool", sources, layer.name if layer.keep_dims else f"{layer.name}:pool",
                        layer.name)
        if not layer.keep_dims:
            g.node("Flatten", [pooled], layer.name, f"{layer.name}:flatten", axis=1)
    elif layer.op == "flatten":
        g.node("Flatten", sources, layer.name, layer.name, axis=1)
    else:
        raise ValueError(f"no ONNX form for layer {layer.name!r} of kind {layer.op!r}")
    g.tensor[layer.name] = layer.name


def build_graph(arch: Architecture, arrays: dict[str, dict[str, np.ndarray]]) -> Any:
    """The ``onnx.ModelProto`` of ``arch`` with the weight file's ``arrays`` (as checked by :mod:`weights`).

    Inputs ``input`` ``(N, 224, 224, 3)`` float32; outputs the descriptor and, with a
    classifier, the softmax.  Raises ValueError if any weighted layer's arrays were not
    used — a silently skipped layer must never reach a user.
    """
    g = _Graph(arch, arrays)
    readers: dict[str, list[Layer]] = {}
    for layer in arch.layers:
        for name in layer.inputs:
            readers.setdefault(name, []).append(layer)
    g.tensor[INPUT_NAME] = g.node("Transpose", [INPUT_NAME], "input:nchw", "input:nchw", perm=[0, 3, 1, 2])
    for layer in arch.layers:
        _layer(g, layer, readers)
    skipped = [layer.name for layer in arch.weighted if layer.name not in g.used]
    if skipped:
        raise ValueError(f"layer {skipped[0]!r} has weights the graph did not use")
    from onnx import TensorProto

    helper, tensor_type = g.helper, TensorProto.FLOAT
    outputs = [helper.make_tensor_value_info(g.tensor[name], tensor_type, ["N", *arch.by_name[name].shape])
               for name in arch.outputs]
    graph = helper.make_graph(
        g.nodes, f"vggface_{arch.model}" + ("" if arch.include_top else "_notop"),
        [helper.make_tensor_value_info(INPUT_NAME, tensor_type, ["N", *_input_hw(arch, INPUT_NAME), 3])],
        outputs, initializer=g.initializers)
    return helper.make_model(graph, opset_imports=[helper.make_operatorsetid("", OPSET)], ir_version=IR_VERSION,
                             producer_name="faceapp")
