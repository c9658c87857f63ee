"""Identity names of VGGFace1 (2,622) and VGGFace2 (8,631), read safely and cleaned.

``.npy`` files are parsed with pickling disabled.  A file that holds an
object array may only use NumPy's own array and string reconstruction; any
other object in its pickle stream is refused as a bad file.
"""

from __future__ import annotations

import io
import os
import pickle
import re
from pathlib import Path

import numpy as np

from faceapp.core.errors import WeightsError

__all__ = ["load_labels", "clean_name"]

# The only globals an object-array .npy of strings needs.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ANN201 - pickle protocol
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a labels file")


def clean_name(raw: object) -> str:
    """A label as people write it: ``" A._J._Buckley"`` → ``"A. J. Buckley"``."""
    text = bytes(raw).decode("utf-8", "replace") if isinstance(raw, (bytes, np.bytes_)) else str(raw)
    text = text.strip()
    # Labels passed through str(bytes) elsewhere look like b'...'; undo that.
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        text = text[2:-1]
    text = text.strip().strip("\"'").replace("_", " ")
    return re.sub(r"\s+", " ", text).strip()


def _read_npy(path: Path) -> np.ndarray:
    data = path.read_bytes()
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    if not dtype.hasobject:
        return np.load(io.BytesIO(data), allow_pickle=False)
    array = _RestrictedUnpickler(stream).load()
    if not isinstance(array, np.ndarray):
        raise pickle.UnpicklingError("the pickle does not hold an array")
    return array


def load_labels(path: str | os.PathLike, expected_count: int | None = None) -> tuple[str, ...]:
    """Cleaned identity names from a keras-vggface labels ``.npy`` file.

    Raises WeightsError naming the file when it is missing, not a NumPy file,
    holds anything but strings, or has the wrong number of names.
    """
    path = Path(path)
    advice = "download it again or choose the right file"

    def problem(what: str, what_to_do: str = advice) -> WeightsError:
        return WeightsError(f"Labels file '{path.name}' {what}; {what_to_do}.", problem=what)

    if not path.is_file():
        raise problem("does not exist", "download or import the model first")
    try:
        array = _read_npy(path)
    except (ValueError, OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError) as exc:
        raise problem(f"is not a valid labels file ({exc})") from None
    flat = array.ravel()
    if not all(isinstance(item, (str, bytes, np.str_, np.bytes_)) for item in flat):
        raise problem("holds something other than names")
    if expected_count is not None and flat.size != expected_count:
        raise problem(f"has {flat.size} names where the model needs {expected_count}")
    return tuple(clean_name(item) for item in flat)
