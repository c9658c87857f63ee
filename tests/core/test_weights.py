"""Architectures, the name rule, and loading weight files by name — exactly or not at all."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.errors import WeightsError
from faceapp.core.vggface.catalog import MODELS, file_name, keras_name
from tests.reference.models import build_model
from faceapp.core.vggface.synthetic import random_arrays, write_synthetic_weights
from faceapp.core.vggface.weights import inspect_weights_file, read_weights_file
from tests.reference.weights import load_weights_into


def test_name_rule_is_reversible():
    for name in ("conv1/7x7_s2/bn", "fc6/relu", "conv5_3_1x1_increase/bn", "classifier"):
        assert "/" not in keras_name(name)
        assert file_name(keras_name(name)) == name
    with pytest.raises(ValueError):
        keras_name("bad__name")


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("include_top", [True, False])
def test_architectures_match_catalog(name, include_top):
    spec = MODELS[name]
    model = build_model(name, include_top)
    assert model.count_params() == (spec.params_top if include_top else spec.params_notop)
    dim = spec.descriptor_dim if include_top else spec.notop_descriptor_dim
    assert tuple(model.outputs[0].shape) == (None, dim)
    if include_top:
        assert tuple(model.outputs[1].shape) == (None, spec.classes)
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names))


def test_keras_vggface_layer_names_present():
    names = {file_name(layer.name) for layer in build_model("senet50").layers if layer.weights}
    for expected in ("conv1/7x7_s2", "conv1/7x7_s2/bn", "conv2_1_1x1_reduce/bn", "conv2_1_1x1_proj",
                     "conv2_1_1x1_down", "conv2_1_1x1_up", "conv5_3_1x1_increase/bn", "classifier"):
        assert expected in names
    vgg = {file_name(layer.name) for layer in build_model("vgg16").layers if layer.weights}
    assert {"conv1_1", "conv5_3", "fc6", "fc7", "fc8"} <= vgg


@pytest.fixture(scope="module")
def resnet_arrays():
    return random_arrays("resnet50", True, seed=3)


@pytest.fixture(scope="module")
def resnet_file(tmp_path_factory, resnet_arrays):
    return write_synthetic_weights(tmp_path_factory.mktemp("w") / "r.h5", "resnet50", arrays=resnet_arrays)


@pytest.fixture(scope="module")
def loaded_resnet(resnet_file):
    model = build_model("resnet50")
    load_weights_into(model, resnet_file, "resnet50")
    return model


def test_every_layer_gets_its_own_arrays(loaded_resnet, resnet_arrays):
    checked = 0
    for layer in loaded_resnet.layers:
        for variable in layer.weights:
            np.testing.assert_array_equal(variable.numpy(), resnet_arrays[file_name(layer.name)][variable.name])
            checked += 1
    assert checked == sum(len(v) for v in resnet_arrays.values())


def test_hand_computed_outputs(loaded_resnet, resnet_arrays):
    import keras

    rng = np.random.default_rng(0)
    batch = rng.uniform(-100, 100, (2, 224, 224, 3)).astype(np.float32)
    descriptor, probabilities = loaded_resnet(batch, training=False)
    logits = np.asarray(descriptor) @ resnet_arrays["classifier"]["kernel"] + resnet_arrays["classifier"]["bias"]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.asarray(probabilities), expected, rtol=1e-4, atol=1e-7)

    # The first convolution + BatchNorm at one output pixel, by hand (HWIO kernel, eps 1e-3).
    probe = keras.Model(loaded_resnet.input, loaded_resnet.get_layer(keras_name("conv1/7x7_s2/bn")).output)
    out = np.asarray(probe(batch, training=False))
    kernel = resnet_arrays["conv1/7x7_s2"]["kernel"]
    bn = resnet_arrays["conv1/7x7_s2/bn"]
    # 'same' padding, stride 2, 224 → 112: output (5, 7) reads input rows 8..14, cols 12..18 (pad 2 before).
    patch = batch[0, 8:15, 12:19, :]
    conv = np.einsum("hwc,hwco->o", patch, kernel)
    manual = (conv - bn["moving_mean"]) / np.sqrt(bn["moving_variance"] + 1e-3) * bn["gamma"] + bn["beta"]
    np.testing.assert_allclose(out[0, 5, 7], manual, rtol=1e-3, atol=1e-3)


def test_variable_length_string_files_load(tmp_path, resnet_arrays):
    path = write_synthetic_weights(tmp_path / "tfkeras.h5", "resnet50", arrays=resnet_arrays,
                                   fixed_length_strings=False)
    model = build_model("resnet50")
    load_weights_into(model, path, "resnet50")
    np.testing.assert_array_equal(model.get_layer("classifier").weights[0].numpy(),
                                  resnet_arrays["classifier"]["kernel"])


@pytest.mark.parametrize("name,top", [("senet50", True), ("vgg16", False)])
def test_other_models_load(tmp_path, name, top):
    arrays = random_arrays(name, top, seed=5)
    path = write_synthetic_weights(tmp_path / "w.h5", name, include_top=top, arrays=arrays)
    model = build_model(name, top)
    load_weights_into(model, path, name)
    layer = next(l for l in reversed(model.layers) if l.weights)
    np.testing.assert_array_equal(layer.weights[0].numpy(), arrays[file_name(layer.name)][layer.weights[0].name])
    assert inspect_weights_file(path).model == name and inspect_weights_file(path).include_top == top


def _broken(tmp_path, arrays, change):
    altered = {layer: dict(weights) for layer, weights in arrays.items()}
    change(altered)
    return write_synthetic_weights(tmp_path / "broken.h5", "resnet50", arrays=altered)


def _assert_refused_untouched(path, pattern):
    model = build_model("resnet50")
    before = [v.numpy().copy() for v in model.weights[:3]]
    with pytest.raises(WeightsError, match=pattern):
        load_weights_into(model, path, "resnet50")
    for old, variable in zip(before, model.weights[:3]):
        np.testing.assert_array_equal(old, variable.numpy())  # never half-loaded


def test_missing_layer_refused(tmp_path, resnet_arrays):
    path = _broken(tmp_path, resnet_arrays, lambda a: a.pop("conv3_2_3x3/bn"))
    _assert_refused_untouched(path, r"'broken.h5'.*'conv3_2_3x3/bn'")


def test_swapped_arrays_refused(tmp_path, resnet_arrays):
    def swap(a):
        a["conv2_1_1x1_reduce"]["kernel"], a["conv3_1_1x1_reduce"]["kernel"] = (
            a["conv3_1_1x1_reduce"]["kernel"], a["conv2_1_1x1_reduce"]["kernel"])
    _assert_refused_untouched(_broken(tmp_path, resnet_arrays, swap), r"shape .* needs")


def test_transposed_kernel_refused(tmp_path, resnet_arrays):
    def transpose(a):
        a["classifier"]["kernel"] = a["classifier"]["kernel"].T.copy()
    _assert_refused_untouched(_broken(tmp_path, resnet_arrays, transpose), r"'classifier/kernel'")


def test_missing_array_refused(tmp_path, resnet_arrays):
    _assert_refused_untouched(_broken(tmp_path, resnet_arrays, lambda a: a["conv1/7x7_s2/bn"].pop("moving_variance")),
                              "moving_variance")


def test_other_models_file_refused(tmp_path):
    senet = write_synthetic_weights(tmp_path / "senet.h5", "senet50", seed=1)
    _assert_refused_untouched(senet, "another model")
    notop = write_synthetic_weights(tmp_path / "notop.h5", "resnet50", include_top=False, seed=1)
    _assert_refused_untouched(notop, "'classifier'")


def test_not_hdf5_truncated_and_empty(tmp_path, resnet_file):
    text = tmp_path / "text.h5"
    text.write_text("not weights")
    _assert_refused_untouched(text, "not an HDF5")
    cut = tmp_path / "cut.h5"
    cut.write_bytes(resnet_file.read_bytes()[: resnet_file.stat().st_size // 2])
    _assert_refused_untouched(cut, "truncated|damaged")
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    _assert_refused_untouched(empty, "empty")


def test_hdf5_without_layer_names_refused(tmp_path):
    import h5py

    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("x", data=np.zeros(3))
    with pytest.raises(WeightsError, match="layer_names"):
        read_weights_file(path)
