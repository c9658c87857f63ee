"""TensorFlow and Keras, imported in one place and without their start-up chatter.

Importing TensorFlow 2.x prints, straight to file descriptor 2 and before any
log setting applies, two pairs of lines ("All log messages before
absl::InitializeLog() …", "oneDNN custom operations are on …") that mean nothing
to a user of ``faceapp-cli``.  :func:`tensorflow` imports it with descriptor 2
caught in a temporary file, drops exactly those lines and writes anything else
back, so a real import error still reaches the terminal.  Every faceapp module
gets TensorFlow (and Keras, which imports it) from here.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["keras", "tensorflow"]

#: Lines of TensorFlow's import that say nothing to a user (matched as substrings).
NOISE = ("All log messages before absl::InitializeLog() is called", "oneDNN custom operations are on")

_lock = threading.Lock()


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Catch what is written to descriptor 2 meanwhile; write back all of it but the NOISE lines."""
    fd = 2  # where TensorFlow's C++ side writes, whatever sys.stderr is
    try:
        saved = os.dup(fd)
    except OSError:  # no descriptor 2 (a windowed app on Windows): nothing to hide
        yield
        return
    with tempfile.TemporaryFile() as caught:
        if sys.stderr is not None:
            sys.stderr.flush()
        os.dup2(caught.fileno(), fd)
        try:
            yield
        finally:
            if sys.stderr is not None:
                sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            caught.seek(0)
            kept = [line for line in caught.read().splitlines(keepends=True)
                    if not any(noise.encode() in line for noise in NOISE)]
            if kept:
                os.write(fd, b"".join(kept))


def tensorflow() -> Any:
    """The ``tensorflow`` module, imported quietly the first time."""
    with _lock:
        if "tensorflow" not in sys.modules:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            with _quiet_stderr():
                import tensorflow  # noqa: F401
        import tensorflow as tf
    return tf


def keras() -> Any:
    """The ``keras`` module (Keras 3 on TensorFlow), imported quietly the first time."""
    tensorflow()
    import keras as module

    return module
