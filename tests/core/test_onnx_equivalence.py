"""The contract: faceapp's ONNX graphs compute what the Keras reference computes, for all six models.

Generated weights with every array random (batch-normalisation statistics too), real face
crops; descriptor cosine ≥ 0.99999, softmax within 1e-5, the same top-5 identities.
Each model is built once per module: the module took 55 s of CPU (6.5 min wall on the
oversubscribed 2-core machine), most of it VGG16 with its classifier (145 M parameters).
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from faceapp.core.vggface.architecture import INPUT_NAME, architecture
from faceapp.core.vggface.catalog import MODELS, file_name
from faceapp.core.vggface.graph_cache import build_graph_bytes
from faceapp.core.vggface.preprocess import preprocess_input
from faceapp.core.vggface.synthetic import write_synthetic_weights
from tests.helpers import face_photo

CONFIGS = [(name, top) for name in MODELS for top in (True, False)]
COSINE_MIN = 0.99999
PROBABILITY_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def crops() -> np.ndarray:
    """Four 224×224 RGB crops of real faces (whole photos resized: faces fill much of them)."""
    names = ("obama.jpg", "biden.jpg", "obama2.jpg", "two_people.jpg")
    return np.stack([np.asarray(Image.open(face_photo(n)).convert("RGB").resize((224, 224)), np.float32)
                     for n in names])


@pytest.fixture(scope="module", params=CONFIGS, ids=[f"{n}-{'top' if t else 'notop'}" for n, t in CONFIGS])
def outputs(request, tmp_path_factory, crops):
    """(ONNX Runtime's outputs, the Keras reference's outputs) for one model on the same generated weights."""
    import onnxruntime

    from tests.reference.models import build_model
    from tests.reference.weights import load_weights_into

    name, top = request.param
    path = write_synthetic_weights(tmp_path_factory.mktemp("eq") / "w.h5", name, include_top=top, seed=11)
    batch = preprocess_input(crops, MODELS[name].preprocess_version)
    session = onnxruntime.InferenceSession(build_graph_bytes(path, name, top).read(),
                                           providers=["CPUExecutionProvider"])
    got = session.run(None, {INPUT_NAME: batch})
    model = build_model(name, include_top=top)
    load_weights_into(model, path, name)
    expected = model(batch, training=False)
    expected = [np.asarray(e) for e in (expected if isinstance(expected, (list, tuple)) else [expected])]
    del model
    return name, top, got, expected


def test_descriptors_match_the_keras_reference(outputs):
    name, top, got, expected = outputs
    assert len(got) == len(expected) == (2 if top else 1)
    descriptor, reference = got[0], expected[0]
    assert descriptor.shape == reference.shape == (4, MODELS[name].descriptor_dim if top
                                                   else MODELS[name].notop_descriptor_dim)
    cosine = np.sum(descriptor * reference, axis=1) / (np.linalg.norm(descriptor, axis=1)
                                                      * np.linalg.norm(reference, axis=1))
    assert cosine.min() >= COSINE_MIN, cosine


def test_identities_match_the_keras_reference(outputs):
    name, top, got, expected = outputs
    if not top:
        pytest.skip("no classifier without the top")
    probabilities, reference = got[1], expected[1]
    assert probabilities.shape == reference.shape == (4, MODELS[name].classes)
    assert np.max(np.abs(probabilities - reference)) <= PROBABILITY_TOLERANCE
    for row, reference_row in zip(probabilities, reference):
        assert list(np.argsort(-row, kind="stable")[:5]) == list(np.argsort(-reference_row, kind="stable")[:5])
    # Not a vacuous match: the generated classifier's answers are peaked, not uniform.
    assert reference.max() > 10.0 / MODELS[name].classes


@pytest.mark.parametrize("name,top", CONFIGS)
def test_table_matches_the_keras_reference(name, top):
    """faceapp's one table has the reference's weighted layers, in order, with the same arrays and outputs."""
    from tests.reference.models import build_model

    model = build_model(name, include_top=top)
    arch = architecture(name, top)
    keras_layers = [(file_name(layer.name), tuple((v.name, tuple(v.shape)) for v in layer.weights))
                    for layer in model.layers if layer.weights]
    assert keras_layers == [(layer.name, layer.arrays) for layer in arch.weighted]
    assert arch.params() == model.count_params() == (MODELS[name].params_top if top else MODELS[name].params_notop)
    assert [tuple(output.shape[1:]) for output in model.outputs] == [arch.by_name[o].shape for o in arch.outputs]
    epsilons = {layer.epsilon for layer in arch.layers if layer.op == "bn"}
    assert epsilons == {float(layer.epsilon) for layer in model.layers
                        if layer.__class__.__name__ == "BatchNormalization"} or not epsilons
