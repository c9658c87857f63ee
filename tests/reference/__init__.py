"""The Keras 3 reference the tests (and benchmarks) compare faceapp's ONNX graphs against.

TensorFlow and Keras are test-only: nothing under ``faceapp/`` imports them for the
recognition models.  ``models.py`` states keras-vggface's three architectures in Keras 3
(the executable specification), ``weights.py`` loads a weight file into them by layer
name, ``folded.py`` is the folded TensorFlow pass faceapp ran before ONNX Runtime (the
speed baseline in ``benchmarks/bench_onnx.py``).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["keras", "tensorflow"]


def tensorflow() -> Any:
    """The ``tensorflow`` module (imported on first use, its C++ start-up chatter turned down)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def keras() -> Any:
    """The ``keras`` module (Keras 3 on TensorFlow)."""
    tensorflow()
    import keras as module

    return module
