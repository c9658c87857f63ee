"""``python -m faceapp`` and the ``faceapp`` command: start the window.

Only Qt is imported here; ONNX Runtime loads later, in the worker thread.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Start the GUI (or, for ``--version``/``--self-test``, answer headless)."""
    from faceapp.gui.app import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
