"""Weight and label files in the exact keras-vggface layout, with seeded random values.

The official files cannot be downloaded everywhere (CI, offline machines), so
tests, the GUI's tests and a build's ``--self-test`` use files written here:
Keras 2 ``save_weights`` HDF5 (root attrs ``layer_names``/``keras_version``/
``backend``, one group per layer named as in the official files, ``weight_names``
attrs, datasets at those paths), and a labels ``.npy`` of plain strings.  Every
array is random (BatchNorm statistics too) but reproducible from ``seed``.
Needs only numpy and h5py (the layers come from :mod:`architecture`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from faceapp.core.vggface.architecture import INPUT_NAME, architecture
from faceapp.core.vggface.catalog import get_spec

__all__ = ["write_synthetic_weights", "write_synthetic_labels", "write_synthetic_model_files", "random_arrays"]


def _random_array(rng: np.random.Generator, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    if kind == "kernel":
        fan_in = int(np.prod(shape[:-1])) or 1
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(1.0 / fan_in)))
    if kind == "gamma":
        return rng.uniform(0.5, 1.0, shape).astype(np.float32)
    if kind == "moving_variance":
        return rng.uniform(0.5, 2.0, shape).astype(np.float32)
    if kind in ("beta", "moving_mean", "bias"):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(0.05))
    raise ValueError(f"no random rule for weight kind {kind!r}")


def random_arrays(model_name: str, include_top: bool, seed: int) -> dict[str, dict[str, np.ndarray]]:
    """``{layer name in file: {"kernel": array, ...}}`` for every layer, in model order.

    Layers without weights map to an empty dict (they appear in ``layer_names``
    with empty ``weight_names``, as in the official files).
    """
    arch = architecture(model_name, include_top)
    rng = np.random.default_rng(seed)
    # Drawn layer by layer in the files' order, so a seed always gives the same file.
    arrays: dict[str, dict[str, np.ndarray]] = {INPUT_NAME: {}}
    for layer in arch.layers:
        arrays[layer.name] = {kind: _random_array(rng, kind, shape) for kind, shape in layer.arrays}
    return arrays


def _strings(values: list[str], as_bytes: bool) -> np.ndarray:
    import h5py

    if as_bytes:
        # Keras 2.2.4: fixed-length byte strings, e.g. dtype |S23.
        return np.array([v.encode("utf-8") for v in values], dtype="S")
    return np.array(values, dtype=h5py.string_dtype())


def write_synthetic_weights(path: str | os.PathLike, model_name: str, include_top: bool = True,
                            seed: int = 0, fixed_length_strings: bool = True,
                            arrays: dict[str, dict[str, np.ndarray]] | None = None) -> Path:
    """Write a weight file of ``model_name`` in the keras-vggface HDF5 layout.

    ``arrays`` (as from :func:`random_arrays`) may be given to write altered
    contents (tests of broken files); by default they are random from ``seed``.
    """
    import h5py

    get_spec(model_name)
    if arrays is None:
        arrays = random_arrays(model_name, include_top, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = _strings(list(arrays), fixed_length_strings)
        handle.attrs["backend"] = b"tensorflow" if fixed_length_strings else "tensorflow"
        handle.attrs["keras_version"] = b"2.2.4" if fixed_length_strings else "2.15.0"
        for layer, weights in arrays.items():
            group = handle.require_group(layer)
            names = [f"{layer}/{short}:0" for short in weights]
            group.attrs["weight_names"] = _strings(names, fixed_length_strings)
            for name, array in zip(names, weights.values()):
                group.create_dataset(name, data=array)
    return path


def write_synthetic_labels(path: str | os.PathLike, count: int, seed: int = 0) -> Path:
    """A labels ``.npy`` of ``count`` names styled like VGGFace2's (``" First_Last"``)."""
    rng = np.random.default_rng(seed)
    syllables = ["an", "bel", "cor", "da", "el", "fi", "gor", "ha", "is", "jo", "ka", "lu", "mar", "no"]
    names = []
    for index in range(count):
        first = "".join(rng.choice(syllables, 2)).capitalize()
        last = "".join(rng.choice(syllables, 3)).capitalize()
        names.append(f" {first}_{last}_{index}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.array(names))
    return path


def write_synthetic_model_files(folder: str | os.PathLike, model_name: str, include_top: bool = True,
                                seed: int = 0) -> Path:
    """Weights (under the official file name) and, with the top, labels for one model."""
    spec = get_spec(model_name)
    folder = Path(folder)
    weights = write_synthetic_weights(folder / spec.weights_filename(include_top), model_name,
                                      include_top=include_top, seed=seed)
    if include_top:
        write_synthetic_labels(folder / spec.labels_file, spec.classes, seed=seed)
    return weights
