"""Loading a keras-vggface weight file into the Keras reference, by layer name, all or nothing."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from faceapp.core.vggface.catalog import file_name
from faceapp.core.vggface.weights import load_checked_weights

__all__ = ["load_weights_into"]


def load_weights_into(model: Any, path: str | os.PathLike, model_name: str) -> str:
    """Load ``path`` into the reference ``model`` and return the weights' fingerprint.

    The file is checked by faceapp's own reader first (WeightsError when it does not fit
    the architecture); then every variable is assigned by layer name and compared with its
    array afterwards, and a variable left without weights fails — the Keras model and
    faceapp's table must agree on every layer for this to pass.
    """
    include_top = any(layer.name in ("classifier", "fc8") for layer in model.layers)
    arrays, fingerprint = load_checked_weights(path, model_name, include_top)
    assigned = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        group = arrays[file_name(layer.name)]
        for variable in layer.weights:
            variable.assign(group[variable.name])
            assigned.add(id(variable))
    for layer in model.layers:
        for variable in layer.weights:
            if not np.array_equal(np.asarray(variable.numpy()), arrays[file_name(layer.name)][variable.name]):
                raise AssertionError(f"{variable.path} did not load")
    missing = [v.path for v in model.weights if id(v) not in assigned]
    if missing:
        raise AssertionError(f"{missing[0]} left without weights")
    return fingerprint
