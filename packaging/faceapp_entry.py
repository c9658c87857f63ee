"""PyInstaller's entry script: the same ``main`` as the ``faceapp`` command."""

import sys

from faceapp.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
