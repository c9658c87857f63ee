"""The three VGGFace architectures, stated in Keras 3 — the reference faceapp's ONNX graphs are tested against.

A transcription of keras-vggface's ``models.py`` (which cannot be imported on Keras 3).

Layers that carry weights have exactly the names keras-vggface gave them (via
:func:`~faceapp.core.vggface.catalog.keras_name`), so the official files load
by name.  Layers without weights get deterministic names of our own.  Every
model outputs the descriptor first and, when it has a classifier, the softmax
second — one forward pass gives both.

Tests check that faceapp's own table (``faceapp/core/vggface/architecture.py``) has the
same layers, shapes and outputs.  TensorFlow/Keras are imported inside the functions.
"""

from __future__ import annotations

from typing import Any

from tests.reference import keras
from faceapp.core.vggface.catalog import INPUT_SIZE, get_spec, keras_name

__all__ = ["build_model"]


def _layers() -> Any:
    return keras().layers


def _vgg16(inputs: Any, include_top: bool, classes: int) -> list[Any]:
    layers = _layers()
    x = inputs
    # (block, convolutions, filters) of VGG-Face's five convolutional blocks.
    for block, convs, filters in ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512)):
        for index in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu",
                              name=f"conv{block}_{index}")(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"pool{block}")(x)
    if not include_top:
        # Without fc6/fc7 the best descriptor left is the pooled last conv block.
        return [layers.GlobalAveragePooling2D(name="descriptor_pool")(x)]
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4096, name="fc6")(x)
    x = layers.Activation("relu", name=keras_name("fc6/relu"))(x)
    x = layers.Dense(4096, name="fc7")(x)
    descriptor = layers.Activation("relu", name=keras_name("fc7/relu"))(x)
    logits = layers.Dense(classes, name="fc8")(descriptor)
    probabilities = layers.Activation("softmax", name=keras_name("fc8/softmax"))(logits)
    return [descriptor, probabilities]


def _bn(x: Any, name: str, epsilon: float) -> Any:
    return _layers().BatchNormalization(axis=3, epsilon=epsilon, name=keras_name(name + "/bn"))(x)


def _squeeze_excite(x: Any, prefix: str, compress_rate: int = 16) -> Any:
    layers = _layers()
    channels = int(x.shape[-1])
    se = layers.GlobalAveragePooling2D(name=f"{prefix}_se_pool")(x)
    se = layers.Reshape((1, 1, channels), name=f"{prefix}_se_reshape")(se)
    se = layers.Conv2D(channels // compress_rate, 1, use_bias=True, name=f"{prefix}_1x1_down")(se)
    se = layers.Activation("relu", name=f"{prefix}_se_relu")(se)
    se = layers.Conv2D(channels, 1, use_bias=True, name=f"{prefix}_1x1_up")(se)
    se = layers.Activation("sigmoid", name=f"{prefix}_se_sigmoid")(se)
    return layers.Multiply(name=f"{prefix}_se_scale")([x, se])


def _bottleneck(x: Any, filters: tuple[int, int, int], stage: int, block: int,
                strides: int, project: bool, squeeze_excite: bool, epsilon: float) -> Any:
    """One ResNet bottleneck: 1×1 reduce, 3×3, 1×1 increase (+SE), plus shortcut."""
    layers = _layers()
    prefix = f"conv{stage}_{block}"
    reduce_f, mid_f, out_f = filters
    shortcut = x
    y = layers.Conv2D(reduce_f, 1, strides=strides, use_bias=False, name=f"{prefix}_1x1_reduce")(x)
    y = _bn(y, f"{prefix}_1x1_reduce", epsilon)
    y = layers.Activation("relu", name=f"{prefix}_1x1_reduce_relu")(y)
    y = layers.Conv2D(mid_f, 3, padding="same", use_bias=False, name=f"{prefix}_3x3")(y)
    y = _bn(y, f"{prefix}_3x3", epsilon)
    y = layers.Activation("relu", name=f"{prefix}_3x3_relu")(y)
    y = layers.Conv2D(out_f, 1, use_bias=False, name=f"{prefix}_1x1_increase")(y)
    y = _bn(y, f"{prefix}_1x1_increase", epsilon)
    if squeeze_excite:
        y = _squeeze_excite(y, prefix)
    if project:
        shortcut = layers.Conv2D(out_f, 1, strides=strides, use_bias=False,
                                 name=f"{prefix}_1x1_proj")(x)
        shortcut = _bn(shortcut, f"{prefix}_1x1_proj", epsilon)
    y = layers.Add(name=f"{prefix}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{prefix}_out")(y)


# (stage, blocks, filters) of ResNet-50's four bottleneck stages.
_RESNET50_STAGES = (
    (2, 3, (64, 64, 256)),
    (3, 4, (128, 128, 512)),
    (4, 6, (256, 256, 1024)),
    (5, 3, (512, 512, 2048)),
)


def _resnet50(inputs: Any, include_top: bool, classes: int, squeeze_excite: bool) -> list[Any]:
    layers = _layers()
    # keras-vggface: Keras' default epsilon for ResNet-50, 1e-4 for SE-ResNet-50.
    epsilon = 1e-4 if squeeze_excite else 1e-3
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False,
                      name=keras_name("conv1/7x7_s2"))(inputs)
    x = _bn(x, "conv1/7x7_s2", epsilon)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, blocks, filters in _RESNET50_STAGES:
        for block in range(1, blocks + 1):
            first = block == 1
            x = _bottleneck(x, filters, stage, block,
                            strides=(2 if first and stage > 2 else 1), project=first,
                            squeeze_excite=squeeze_excite, epsilon=epsilon)
    x = layers.AveragePooling2D(7, name="avg_pool")(x)
    descriptor = layers.Flatten(name="flatten")(x)
    if not include_top:
        return [descriptor]
    probabilities = layers.Dense(classes, activation="softmax", name="classifier")(descriptor)
    return [descriptor, probabilities]


def build_model(name: str, include_top: bool = True) -> Any:
    """Build model ``name`` (``resnet50``, ``senet50`` or ``vgg16``) with random weights.

    Outputs: ``[descriptor]`` or, with the classifier, ``[descriptor, softmax]``.
    Raises ValueError for an unknown name.
    """
    spec = get_spec(name)
    inputs = keras().Input(shape=(INPUT_SIZE, INPUT_SIZE, 3), name="input")
    if name == "vgg16":
        outputs = _vgg16(inputs, include_top, spec.classes)
    else:
        outputs = _resnet50(inputs, include_top, spec.classes, squeeze_excite=(name == "senet50"))
    suffix = "" if include_top else "_notop"
    return keras().Model(inputs, outputs, name=f"vggface_{name}{suffix}")
