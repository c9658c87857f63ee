"""Where the real test photos are: ``tests/data/faces`` (public domain; see its README.md).

``FACEAPP_TESTDATA`` may point elsewhere.  The tests and the benchmarks read the
folder from here only.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FACES = Path(os.environ.get("FACEAPP_TESTDATA") or REPO / "tests" / "data" / "faces")

#: Every shared photo and how many faces it shows (from its README).
KNOWN_FACES = {
    "obama.jpg": 1, "obama2.jpg": 1, "obama3.jpg": 1, "biden.jpg": 1, "32bit.png": 1, "obama-480p.jpg": 1,
    "obama_small.jpg": 1, "obama_partial_face.jpg": 1, "obama_partial_face2.jpg": 1, "two_people.jpg": 2,
}


def photo_path(name: str) -> Path:
    """Path of one test photo; FileNotFoundError naming the folder when it is missing."""
    path = FACES / name
    if not path.is_file():
        raise FileNotFoundError(f"test photo {path} is missing; set FACEAPP_TESTDATA to a folder holding it")
    return path
