"""Reading keras-vggface weight files (Keras 2 ``save_weights`` HDF5) by layer name.

Keras 3's legacy ``load_weights(by_name=True)`` matches names literally and
silently skips what it cannot match; this reader instead requires that every
layer of the architecture (:mod:`architecture`) that has weights finds them in
the file with the right shapes and finite values, and that the file holds nothing
the model lacks; the graph builder then proves it used every array.  Anything
else is refused with a :class:`~faceapp.core.errors.WeightsError` naming the file
and the first problem, before anything is built.  No model runtime is needed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.errors import WeightsError
from faceapp.core.vggface.architecture import Architecture, architecture
from faceapp.core.vggface.catalog import MODELS

__all__ = ["read_weights_file", "load_checked_weights", "check_weights_file", "inspect_weights_file", "WeightsInfo",
           "fingerprint", "weights_fingerprint"]

_REDOWNLOAD = "download it again or choose the right file"


def _decode(value: Any) -> str:
    # Keras 2.2.4 wrote fixed-length bytes (|S23); tf-keras writes variable-length str.
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    return str(value)


def _problem(path: Path, what: str, advice: str = _REDOWNLOAD) -> WeightsError:
    return WeightsError(f"Weights file '{path.name}' {what}; {advice}.", problem=what)


def _open(path: Path) -> Any:
    import h5py

    if not path.is_file():
        raise _problem(path, "does not exist", "download or import the model first")
    if path.stat().st_size == 0:
        raise _problem(path, "is empty")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        text = str(exc).lower()
        if "truncated" in text or "eof" in text:
            raise _problem(path, "is truncated") from None
        raise _problem(path, "is not an HDF5 weights file") from None


def _weights_root(handle: Any, path: Path) -> Any:
    if "layer_names" in handle.attrs:
        return handle
    # A whole saved Keras 2 model keeps its weights under "model_weights".
    if "model_weights" in handle and "layer_names" in handle["model_weights"].attrs:
        return handle["model_weights"]
    raise _problem(path, "is not a Keras weights file (it has no 'layer_names')")


def read_weights_file(path: str | os.PathLike) -> dict[str, dict[str, np.ndarray]]:
    """All arrays of a weight file: ``{layer name in file: {"kernel": array, ...}}``.

    Layers without weights (activations, pooling, the input) are ignored: their
    auto-generated names differ between files and mean nothing.
    """
    path = Path(path)
    result: dict[str, dict[str, np.ndarray]] = {}
    with _open(path) as handle:
        root = _weights_root(handle, path)
        try:
            for raw_layer in root.attrs["layer_names"]:
                layer = _decode(raw_layer)
                if layer not in root:
                    raise _problem(path, f"lists layer '{layer}' but holds no group for it")
                group = root[layer]
                names = [_decode(n) for n in group.attrs.get("weight_names", [])]
                arrays: dict[str, np.ndarray] = {}
                for weight in names:
                    if weight not in group:
                        raise _problem(path, f"lacks array '{weight}' of layer '{layer}'")
                    dataset = group[weight]
                    if not np.issubdtype(dataset.dtype, np.floating):
                        raise _problem(path, f"holds non-numeric array '{weight}'")
                    # 'conv1/7x7_s2/bn/gamma:0' → 'gamma'
                    short = weight.rsplit("/", 1)[-1].split(":", 1)[0]
                    arrays[short] = np.asarray(dataset[()], dtype=np.float32)
                if arrays:
                    result[layer] = arrays
        except WeightsError:
            raise
        except (OSError, KeyError, ValueError, RuntimeError) as exc:
            raise _problem(path, f"is damaged or truncated ({type(exc).__name__})") from None
    if not result:
        raise _problem(path, "holds no weights")
    return result


@dataclass(frozen=True)
class WeightsInfo:
    """What a weight file is, judged from its layer names alone."""

    model: str | None  # "resnet50", "senet50", "vgg16" or None when unknown
    include_top: bool


def inspect_weights_file(path: str | os.PathLike) -> WeightsInfo:
    """Guess which model a weight file belongs to, without loading it."""
    path = Path(path)
    with _open(path) as handle:
        root = _weights_root(handle, path)
        names = {_decode(n) for n in root.attrs["layer_names"]}
    if "conv2_1_1x1_down" in names:
        model: str | None = "senet50"
    elif "conv1/7x7_s2" in names:
        model = "resnet50"
    elif "conv1_1" in names and "conv5_3" in names:
        model = "vgg16"
    else:
        model = None
    return WeightsInfo(model=model, include_top=bool({"classifier", "fc8"} & names))


def _match(arch: Architecture, arrays: dict[str, dict[str, np.ndarray]], path: Path, model_title: str) -> None:
    """Check that the file holds exactly the arrays ``arch`` needs, or raise naming the first problem."""
    for layer in arch.weighted:
        if layer.name not in arrays:
            raise _problem(path, f"has no weights for layer '{layer.name}', so it is not a {model_title} weights file")
        group = arrays[layer.name]
        expected = dict(layer.arrays)
        if set(group) != set(expected):
            raise _problem(path, f"has arrays {sorted(group)} for layer '{layer.name}' where {model_title} needs "
                                 f"{sorted(expected)}")
        for kind, shape in layer.arrays:
            if tuple(group[kind].shape) != shape:
                raise _problem(path, f"has shape {tuple(group[kind].shape)} for '{layer.name}/{kind}' where "
                                     f"{model_title} needs {shape}")
            # A NaN or infinity would give every face the same meaningless descriptor, silently.
            if not np.isfinite(group[kind]).all():
                raise _problem(path, f"has values that are not finite numbers in '{layer.name}/{kind}'")
    extra = [name for name in arrays if name not in arch.by_name or not arch.by_name[name].arrays]
    if extra:
        raise _problem(path, f"holds layer '{extra[0]}' that {model_title} does not have, so it belongs to another model")


#: Layers that only classify; the descriptor does not depend on them.
_CLASSIFIER_LAYERS = ("classifier", "fc8")


def load_checked_weights(path: str | os.PathLike, model_name: str,
                         include_top: bool) -> tuple[dict[str, dict[str, np.ndarray]], str]:
    """Every array of ``path``, checked against the architecture (all or nothing), and the weights' fingerprint.

    Each layer of the model that has weights must find exactly its arrays, with the
    right shapes and finite values, and the file must hold nothing the model lacks;
    otherwise WeightsError names the file and the first problem.  The fingerprint is
    :func:`fingerprint` of the arrays.
    """
    path = Path(path)
    title = MODELS[model_name].title if model_name in MODELS else model_name
    arrays = read_weights_file(path)
    _match(architecture(model_name, include_top), arrays, path, title)
    return arrays, fingerprint(arrays)


def fingerprint(arrays: dict[str, dict[str, np.ndarray]]) -> str:
    """16 hex digits of SHA-256 over every array the descriptor depends on (layers by name, not the classifier).

    The full and the ``_notop_`` file of one training share it; any other weights do not.  Computed
    from the file's arrays alone (no model loaded), so a library can tell its descriptor space without
    building a model.
    """
    digest = hashlib.sha256()
    for layer in sorted(arrays):
        if layer in _CLASSIFIER_LAYERS:
            continue
        for name in sorted(arrays[layer]):
            digest.update(f"{layer}/{name}".encode())
            digest.update(np.ascontiguousarray(arrays[layer][name], dtype="<f4").tobytes())
    return digest.hexdigest()[:16]


def weights_fingerprint(path: str | os.PathLike) -> str:
    """:func:`fingerprint` of a weights file (reads it; WeightsError naming it when broken)."""
    return fingerprint(read_weights_file(path))


def check_weights_file(path: str | os.PathLike, model_name: str, include_top: bool) -> None:
    """Validate a file against the architecture (see :func:`load_checked_weights`); WeightsError when it does not fit."""
    load_checked_weights(path, model_name, include_top)
