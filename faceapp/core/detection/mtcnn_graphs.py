"""MTCNN's three networks as ONNX graphs, built by faceapp from the ``mtcnn`` package's weight arrays.

The networks are small (P-Net 7k, R-Net 100k, O-Net 390k weights) and building
a graph takes milliseconds, so they are built in memory when a detector is
made, never cached on disk.  Layout: NCHW, as ONNX convolutions take it; the
Keras-order weights (HWIO kernels, (in, out) dense kernels) are transposed
here, once.  Every node is named after the layer in :data:`~faceapp.core.detection.mtcnn.LAYOUTS`
that gives it its weights.

Inputs and outputs (all float32, N open):

* ``pnet``: ``image`` (1, 3, H, W) with H, W open → ``regression`` (1, 4, h, w), ``logit`` (1, h, w) for the
  12×12 window at every cell (stride 2).
* ``rnet``: ``patches`` (N, 3, 24, 24) → ``regression`` (N, 4), ``logit`` (N,).
* ``onet``: ``patches`` (N, 3, 48, 48) → ``regression`` (N, 4), ``landmarks`` (N, 10), ``logit`` (N,).

``logit`` is the face log-odds: the logit of "face" minus that of "no face", whose sigmoid is the networks'
two-way softmax.  Log-odds rather than the softmax itself, because a float32 softmax saturates at 1 on clear
faces, and how it rounds there differs between runtimes (see ``mtcnn._best_first``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["build_graph", "OPSET", "IR_VERSION"]

#: ONNX operator set and IR version of the graphs (every operator here exists unchanged since opset 13; ONNX
#: Runtime ≥ 1.14 reads both, while newer onnx packages would default to versions older runtimes refuse).
OPSET = 13
IR_VERSION = 8


class _Builder:
    """Collects nodes and initialisers for one graph; each method returns the name of its output."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.weights = weights
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array, np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, outputs: int = 1, **attributes: Any) -> str:
        names = [name] if outputs == 1 else [f"{name}:{i}" for i in range(outputs)]
        self.nodes.append(self.helper.make_node(op, inputs, names, name=name, **attributes))
        return names[0]

    def conv(self, x: str, layer: str) -> str:
        kernel = self.weights[f"{layer}/kernel"].transpose(3, 2, 0, 1)  # HWIO → OIHW
        return self.node("Conv", [x, self.constant(f"{layer}/kernel", kernel),
                                  self.constant(f"{layer}/bias", self.weights[f"{layer}/bias"])], layer)

    def prelu(self, x: str, layer: str, channels_first: bool = True) -> str:
        slope = self.weights[f"{layer}/alpha"].reshape(-1)
        slope = slope.reshape(-1, 1, 1) if channels_first else slope  # broadcast over H, W (NCHW) or per unit
        return self.node("PRelu", [x, self.constant(f"{layer}/alpha", slope)], layer)

    def pool(self, x: str, size: int, same: bool, name: str) -> str:
        # TensorFlow's SAME pads the extra row and column at the end: ONNX's SAME_UPPER.
        padding = {"auto_pad": "SAME_UPPER"} if same else {}
        return self.node("MaxPool", [x], name, kernel_shape=[size, size], strides=[2, 2], **padding)

    def dense(self, x: str, layer: str) -> str:
        return self.node("Gemm", [x, self.constant(f"{layer}/kernel", self.weights[f"{layer}/kernel"]),
                                  self.constant(f"{layer}/bias", self.weights[f"{layer}/bias"])], layer)

    def flatten_caffe(self, x: str, name: str) -> str:
        # The weights come from Caffe, which flattened each map with width and height swapped relative to
        # NHWC (Keras' Permute((2, 1, 3)) before Flatten): from NCHW that order is N, W, H, C.
        swapped = self.node("Transpose", [x], f"{name}/permute", perm=[0, 3, 2, 1])
        return self.node("Flatten", [swapped], name, axis=1)

    def block(self, x: str, index: int, pool: tuple[int, bool] | None) -> str:
        x = self.prelu(self.conv(x, f"conv{index}"), f"prelu{index}")
        return self.pool(x, pool[0], pool[1], f"pool{index}") if pool else x

    def log_odds(self, logits: str, name: str) -> str:
        """Logit 1 minus logit 0 of two along axis 1, that axis dropped."""
        background = self.node("Split", [logits], f"{name}/split", outputs=2, axis=1)  # and f"{name}/split:1"
        odds = self.node("Sub", [f"{name}/split:1", background], f"{name}/sub")
        return self.node("Squeeze", [odds, self.ints(f"{name}/axis", [1])], name)

    def ints(self, name: str, values: Any) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.asarray(values, np.int64), name))
        return name


def build_graph(network: str, weights: dict[str, np.ndarray]) -> bytes:
    """The serialised ONNX model of ``network`` (``pnet``, ``rnet``, ``onet``) with ``weights`` (checked arrays
    by layer name, as :func:`~faceapp.core.detection.mtcnn.load_network_weights` returns them)."""
    from onnx import TensorProto, checker, helper

    graph = _Builder(weights)
    if network == "pnet":
        inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "height", "width"])]
        x = graph.block("image", 1, (2, True))
        x = graph.block(graph.block(x, 2, None), 3, None)
        graph.node("Identity", [graph.conv(x, "conv4-1")], "regression")
        graph.log_odds(graph.conv(x, "conv4-2"), "logit")
        outputs = [("regression", [1, 4, "cells_y", "cells_x"]), ("logit", [1, "cells_y", "cells_x"])]
    elif network == "rnet":
        inputs = [helper.make_tensor_value_info("patches", TensorProto.FLOAT, ["batch", 3, 24, 24])]
        x = graph.block(graph.block("patches", 1, (3, True)), 2, (3, False))
        x = graph.flatten_caffe(graph.block(x, 3, None), "flatten")
        x = graph.prelu(graph.dense(x, "fc4"), "prelu4", channels_first=False)
        graph.node("Identity", [graph.dense(x, "fc5-1")], "regression")
        graph.log_odds(graph.dense(x, "fc5-2"), "logit")
        outputs = [("regression", ["batch", 4]), ("logit", ["batch"])]
    elif network == "onet":
        inputs = [helper.make_tensor_value_info("patches", TensorProto.FLOAT, ["batch", 3, 48, 48])]
        x = graph.block(graph.block("patches", 1, (3, True)), 2, (3, False))
        x = graph.block(graph.block(x, 3, (2, True)), 4, None)
        x = graph.prelu(graph.dense(graph.flatten_caffe(x, "flatten"), "fc5"), "prelu5", channels_first=False)
        graph.node("Identity", [graph.dense(x, "fc6-1")], "regression")
        graph.node("Identity", [graph.dense(x, "fc6-2")], "landmarks")
        graph.log_odds(graph.dense(x, "fc6-3"), "logit")
        outputs = [("regression", ["batch", 4]), ("landmarks", ["batch", 10]), ("logit", ["batch"])]
    else:
        raise ValueError(f"network must be 'pnet', 'rnet' or 'onet', got {network!r}")
    used = {initializer.name for initializer in graph.initializers}
    unused = sorted(name for name in weights if name not in used)
    if unused:  # a weight array left out is a network that silently differs from the reference
        raise AssertionError(f"{network} graph does not use {unused}")
    model = helper.make_model(
        helper.make_graph(graph.nodes, network, inputs,
                          [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape) for name, shape in outputs],
                          graph.initializers),
        opset_imports=[helper.make_opsetid("", OPSET)], producer_name="faceapp", ir_version=IR_VERSION)
    checker.check_model(model)
    return model.SerializeToString()
