"""TensorFlow is imported quietly: its start-up chatter is dropped, anything else still reaches stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from faceapp.core import backend


def test_only_the_known_chatter_is_dropped(capfd):
    with backend._quiet_stderr():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
        os.write(2, b"I0000 00:00:1 port.cc:153] oneDNN custom operations are on. You may see ...\n")
        os.write(2, b"ImportError: libcuda.so.1: cannot open shared object file\n")
    assert capfd.readouterr().err == "ImportError: libcuda.so.1: cannot open shared object file\n"


def test_a_command_line_user_sees_no_tensorflow_chatter():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = "from faceapp.core import backend; backend.keras(); print(backend.tensorflow().__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() and out.stderr == "", out.stderr


def test_every_faceapp_module_imports_tensorflow_through_the_backend():
    import faceapp

    root = Path(faceapp.__file__).parent
    direct = ("import tensorflow", "from tensorflow", "import keras", "from keras", "import mtcnn", "from mtcnn")
    offenders = [f"{path.relative_to(root)}:{number}"
                 for path in root.rglob("*.py") if path != Path(backend.__file__)
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if line.strip().startswith(direct)]
    assert offenders == []
