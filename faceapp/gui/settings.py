"""The names of everything the window remembers between runs (QSettings keys), in one place.

The threshold is not here: it lives with the calibrations in ``thresholds.json``
(:mod:`faceapp.core.evaluation.thresholds`), shared with ``faceapp-cli``.
"""

from __future__ import annotations

GEOMETRY = "geometry"
MODEL = "model"
CROP = "crop"
#: The folder of the last photo opened in the comparison.
LAST_FOLDER = "last_folder"
CALIBRATION_FOLDER = "calibration/folder"
LIBRARY_PATH = "library/path"
#: The last folder scanned into the library.
LIBRARY_LAST_FOLDER = "library/last_folder"
THUMBNAIL_SIZE = "library/thumbnail"
