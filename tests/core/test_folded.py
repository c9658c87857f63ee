"""The folded TensorFlow pass (tests/reference/folded.py, the speed baseline) computes what the Keras model computes."""

from __future__ import annotations

import numpy as np
import pytest

from tests.reference import keras, tensorflow
from tests.reference.folded import folded_forward
from tests.reference.models import build_model


def _randomise_normalisations(model, seed: int) -> None:
    """Give every BatchNormalization statistics far from (0, 1), so a folding mistake shows."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.__class__.__name__ == "BatchNormalization":
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                               rng.normal(0, 0.5, beta.shape).astype(np.float32),
                               rng.normal(0, 0.5, mean.shape).astype(np.float32),
                               rng.uniform(0.2, 3.0, variance.shape).astype(np.float32)])


def _batch(size: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((size, 224, 224, 3), np.float32) * 255 - 128).astype(np.float32)


@pytest.mark.parametrize("name,include_top", [("resnet50", True), ("senet50", False), ("vgg16", False)])
def test_folded_forward_matches_the_keras_model(name, include_top):
    model = build_model(name, include_top=include_top)
    _randomise_normalisations(model, seed=3)
    forward = folded_forward(model)
    for size in (1, 3):  # one trace serves every batch size
        batch = _batch(size, seed=size)
        expected = model(batch, training=False)
        expected = expected if isinstance(expected, (list, tuple)) else [expected]
        got = forward(tensorflow().constant(batch))
        assert len(got) == len(expected)
        for e, g in zip(expected, got):
            e, g = np.asarray(e), np.asarray(g)
            assert g.shape == e.shape
            # float32 round-off only: relative to the output's scale
            assert np.max(np.abs(g - e)) <= 1e-4 * max(1.0, float(np.max(np.abs(e))))
    assert forward.experimental_get_tracing_count() == 1


def test_folding_leaves_alone_what_it_cannot_fold():
    """A normalisation after a ReLU-convolution, or of a tensor read twice, is not folded — and still right."""
    layers = keras().layers
    inputs = keras().Input(shape=(224, 224, 3))
    a = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_relu")(inputs)
    a = layers.BatchNormalization(name="bn_after_relu")(a)
    b = layers.Conv2D(4, 1, strides=2, use_bias=False, name="conv_shared")(a)
    c = layers.BatchNormalization(name="bn_of_shared")(b)
    d = layers.Add(name="add")([c, b])  # conv_shared's output is read twice
    e = layers.Conv2D(6, 3, use_bias=True, name="conv_bias")(d)
    e = layers.BatchNormalization(epsilon=1e-4, name="bn_folded")(e)
    outputs = layers.GlobalAveragePooling2D()(layers.Activation("relu")(e))
    model = keras().Model(inputs, outputs)
    _randomise_normalisations(model, seed=5)
    rng = np.random.default_rng(9)
    conv = model.get_layer("conv_bias")
    conv.set_weights([w + rng.normal(0, 0.2, w.shape).astype(np.float32) for w in conv.get_weights()])
    batch = _batch(2)
    expected = np.asarray(model(batch, training=False))
    got = np.asarray(folded_forward(model)(tensorflow().constant(batch))[0])
    assert np.max(np.abs(got - expected)) <= 1e-4 * max(1.0, float(np.max(np.abs(expected))))
