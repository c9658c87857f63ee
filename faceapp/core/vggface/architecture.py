"""The three VGGFace architectures as one table of layers, with no model runtime.

This is faceapp's one statement of the networks: the ONNX graph (:mod:`graph`),
the weight-file checks (:mod:`weights`) and the generated weight files
(:mod:`synthetic`) are all read from it.  The Keras 3 definitions that the tests
compare against (``tests/reference/models.py``, a transcription of keras-vggface's
code) are the executable specification; tests check that the table has the same
layers, shapes, parameters and outputs.

Layers that carry weights have exactly the names of the keras-vggface weight files
(``conv1/7x7_s2/bn``); layers without weights get deterministic names of our own.
Shapes are channels-last ``(height, width, channels)`` as in the files.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

from faceapp.core.vggface.catalog import INPUT_SIZE, get_spec

__all__ = ["Layer", "Architecture", "architecture", "INPUT_NAME", "BN_EPSILON"]

#: Name of the network's input (an ``(N, 224, 224, 3)`` preprocessed BGR batch).
INPUT_NAME = "input"

#: keras-vggface's BatchNormalization epsilon: Keras' default for ResNet-50, 1e-4 for SE-ResNet-50.
BN_EPSILON = {"resnet50": 1e-3, "senet50": 1e-4}

#: Arrays of each kind of layer with weights, in the order the files list them.
_BN_ARRAYS = ("gamma", "beta", "moving_mean", "moving_variance")


@dataclass(frozen=True)
class Layer:
    """One layer: what it does, what it reads, and the arrays it needs from the weight file.

    ``op`` is one of ``conv`` (2-D, HWIO kernel), ``bn`` (inference batch normalisation),
    ``dense``, ``relu``, ``sigmoid``, ``softmax``, ``maxpool``, ``avgpool``,
    ``global_avgpool`` (keeps a 1×1 spatial shape when ``keep_dims``), ``add``,
    ``multiply`` (broadcast over space) and ``flatten``.
    """

    name: str
    op: str
    inputs: tuple[str, ...]
    shape: tuple[int, ...]  # output shape without the batch axis, channels last
    arrays: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (name in file, shape), file order
    kernel: int = 1
    strides: int = 1
    padding: str = "valid"  # "valid" or "same" (TensorFlow's: any odd extra pixel goes after)
    activation: str | None = None  # a conv's or dense's own activation ("relu", "softmax")
    epsilon: float = 0.0
    keep_dims: bool = False


@dataclass(frozen=True)
class Architecture:
    """A whole network: layers in an order where each comes after what it reads."""

    model: str
    include_top: bool
    layers: tuple[Layer, ...]
    outputs: tuple[str, ...]  # descriptor first, then the softmax when there is a classifier
    by_name: dict[str, Layer] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {layer.name: layer for layer in self.layers})

    @property
    def weighted(self) -> tuple[Layer, ...]:
        """The layers that read arrays from the weight file, in file order."""
        return tuple(layer for layer in self.layers if layer.arrays)

    def params(self) -> int:
        """Number of weights the file holds for this network."""
        return sum(math.prod(shape) for layer in self.weighted for _, shape in layer.arrays)


class _Builder:
    """Appends layers, tracking each output's shape (so weight shapes follow from the table)."""

    def __init__(self) -> None:
        self.layers: list[Layer] = []
        self.shapes: dict[str, tuple[int, ...]] = {INPUT_NAME: (INPUT_SIZE, INPUT_SIZE, 3)}

    def _add(self, layer: Layer) -> str:
        if layer.name in self.shapes:
            raise ValueError(f"layer name {layer.name!r} used twice")
        self.layers.append(layer)
        self.shapes[layer.name] = layer.shape
        return layer.name

    @staticmethod
    def _spatial(size: int, kernel: int, strides: int, padding: str) -> int:
        return -(-size // strides) if padding == "same" else (size - kernel) // strides + 1

    def conv(self, name: str, x: str, filters: int, kernel: int, strides: int = 1, padding: str = "valid",
             bias: bool = True, activation: str | None = None) -> str:
        height, width, channels = self.shapes[x]
        shape = (self._spatial(height, kernel, strides, padding), self._spatial(width, kernel, strides, padding),
                 filters)
        arrays = (("kernel", (kernel, kernel, channels, filters)),) + ((("bias", (filters,)),) if bias else ())
        return self._add(Layer(name, "conv", (x,), shape, arrays, kernel, strides, padding, activation))

    def bn(self, name: str, x: str, epsilon: float) -> str:
        channels = self.shapes[x][-1]
        arrays = tuple((kind, (channels,)) for kind in _BN_ARRAYS)
        return self._add(Layer(name, "bn", (x,), self.shapes[x], arrays, epsilon=epsilon))

    def dense(self, name: str, x: str, units: int, activation: str | None = None) -> str:
        (inputs,) = self.shapes[x]
        arrays = (("kernel", (inputs, units)), ("bias", (units,)))
        return self._add(Layer(name, "dense", (x,), (units,), arrays, activation=activation))

    def pool(self, name: str, op: str, x: str, kernel: int, strides: int) -> str:
        height, width, channels = self.shapes[x]
        shape = (self._spatial(height, kernel, strides, "valid"), self._spatial(width, kernel, strides, "valid"),
                 channels)
        return self._add(Layer(name, op, (x,), shape, kernel=kernel, strides=strides))

    def global_avgpool(self, name: str, x: str, keep_dims: bool) -> str:
        channels = self.shapes[x][-1]
        shape = (1, 1, channels) if keep_dims else (channels,)
        return self._add(Layer(name, "global_avgpool", (x,), shape, keep_dims=keep_dims))

    def elementwise(self, name: str, op: str, *inputs: str) -> str:
        return self._add(Layer(name, op, tuple(inputs), self.shapes[inputs[0]]))

    def flatten(self, name: str, x: str) -> str:
        return self._add(Layer(name, "flatten", (x,), (math.prod(self.shapes[x]),)))


def _vgg16(b: _Builder, include_top: bool, classes: int) -> tuple[str, ...]:
    x = INPUT_NAME
    # (block, convolutions, filters) of VGG-Face's five convolutional blocks.
    for block, convs, filters in ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512)):
        for index in range(1, convs + 1):
            x = b.conv(f"conv{block}_{index}", x, filters, 3, padding="same", activation="relu")
        x = b.pool(f"pool{block}", "maxpool", x, 2, 2)
    if not include_top:
        # Without fc6/fc7 the best descriptor left is the pooled last conv block.
        return (b.global_avgpool("descriptor_pool", x, keep_dims=False),)
    x = b.flatten("flatten", x)
    x = b.elementwise("fc6/relu", "relu", b.dense("fc6", x, 4096))
    descriptor = b.elementwise("fc7/relu", "relu", b.dense("fc7", x, 4096))
    probabilities = b.elementwise("fc8/softmax", "softmax", b.dense("fc8", descriptor, classes))
    return descriptor, probabilities


def _squeeze_excite(b: _Builder, x: str, prefix: str, compress_rate: int = 16) -> str:
    channels = b.shapes[x][-1]
    se = b.global_avgpool(f"{prefix}_se_pool", x, keep_dims=True)
    se = b.conv(f"{prefix}_1x1_down", se, channels // compress_rate, 1)
    se = b.elementwise(f"{prefix}_se_relu", "relu", se)
    se = b.conv(f"{prefix}_1x1_up", se, channels, 1)
    se = b.elementwise(f"{prefix}_se_sigmoid", "sigmoid", se)
    return b.elementwise(f"{prefix}_se_scale", "multiply", x, se)


def _bottleneck(b: _Builder, x: str, filters: tuple[int, int, int], prefix: str, strides: int,
                project: bool, squeeze_excite: bool, epsilon: float) -> str:
    """One ResNet bottleneck: 1×1 reduce, 3×3, 1×1 increase (+SE), plus the shortcut."""
    reduce_f, mid_f, out_f = filters
    y = b.conv(f"{prefix}_1x1_reduce", x, reduce_f, 1, strides=strides, bias=False)
    y = b.elementwise(f"{prefix}_1x1_reduce_relu", "relu", b.bn(f"{prefix}_1x1_reduce/bn", y, epsilon))
    y = b.conv(f"{prefix}_3x3", y, mid_f, 3, padding="same", bias=False)
    y = b.elementwise(f"{prefix}_3x3_relu", "relu", b.bn(f"{prefix}_3x3/bn", y, epsilon))
    y = b.conv(f"{prefix}_1x1_increase", y, out_f, 1, bias=False)
    shortcut = x
    # Layers in the order Keras lists them (by depth), which is the files' order: without SE the
    # projection's layers sit beside the increase's, with SE after the SE block.  (Generated weight
    # files draw their random arrays in this order, so they keep their contents.)
    early = project and not squeeze_excite
    if early:
        shortcut = b.conv(f"{prefix}_1x1_proj", x, out_f, 1, strides=strides, bias=False)
    y = b.bn(f"{prefix}_1x1_increase/bn", y, epsilon)
    if early:
        shortcut = b.bn(f"{prefix}_1x1_proj/bn", shortcut, epsilon)
    if squeeze_excite:
        y = _squeeze_excite(b, y, prefix)
    if project and not early:
        shortcut = b.conv(f"{prefix}_1x1_proj", x, out_f, 1, strides=strides, bias=False)
        shortcut = b.bn(f"{prefix}_1x1_proj/bn", shortcut, epsilon)
    return b.elementwise(f"{prefix}_out", "relu", b.elementwise(f"{prefix}_add", "add", y, shortcut))


#: (stage, blocks, filters) of ResNet-50's four bottleneck stages.
_RESNET50_STAGES = (
    (2, 3, (64, 64, 256)),
    (3, 4, (128, 128, 512)),
    (4, 6, (256, 256, 1024)),
    (5, 3, (512, 512, 2048)),
)


def _resnet50(b: _Builder, include_top: bool, classes: int, squeeze_excite: bool) -> tuple[str, ...]:
    epsilon = BN_EPSILON["senet50" if squeeze_excite else "resnet50"]
    x = b.conv("conv1/7x7_s2", INPUT_NAME, 64, 7, strides=2, padding="same", bias=False)
    x = b.elementwise("conv1_relu", "relu", b.bn("conv1/7x7_s2/bn", x, epsilon))
    x = b.pool("pool1", "maxpool", x, 3, 2)
    for stage, blocks, filters in _RESNET50_STAGES:
        for block in range(1, blocks + 1):
            first = block == 1
            x = _bottleneck(b, x, filters, f"conv{stage}_{block}", strides=(2 if first and stage > 2 else 1),
                            project=first, squeeze_excite=squeeze_excite, epsilon=epsilon)
    descriptor = b.flatten("flatten", b.pool("avg_pool", "avgpool", x, 7, 7))
    if not include_top:
        return (descriptor,)
    return descriptor, b.dense("classifier", descriptor, classes, activation="softmax")


@functools.lru_cache(maxsize=8)
def architecture(model: str, include_top: bool) -> Architecture:
    """The layer table of ``model`` (``resnet50``, ``senet50``, ``vgg16``), with or without its classifier.

    Raises ValueError quoting the name when the model is unknown.
    """
    spec = get_spec(model)
    builder = _Builder()
    if model == "vgg16":
        outputs = _vgg16(builder, include_top, spec.classes)
    else:
        outputs = _resnet50(builder, include_top, spec.classes, squeeze_excite=(model == "senet50"))
    return Architecture(model, include_top, tuple(builder.layers), outputs)
