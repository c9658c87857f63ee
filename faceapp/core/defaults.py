"""Every default value faceapp uses, in one place.

The CLI, the GUI and the core read these; nothing else hard-codes them.
"""

from __future__ import annotations

#: Cosine distance at or below which two faces are judged the same person.
DEFAULT_THRESHOLD = 0.5
#: Slider / CLI bounds for the threshold.
THRESHOLD_MIN = 0.0
THRESHOLD_MAX = 1.0
THRESHOLD_STEP = 0.01

#: The model used when none is named.
DEFAULT_MODEL = "resnet50"
#: Crop recipe used when none is named (the VGGFace2 authors' test-time recipe;
#: it stays the default until a measurement with real weights says otherwise).
DEFAULT_CROP = "vggface2"
CROP_RECIPES = ("vggface2", "tutorial")

#: How many identities are reported per face.
DEFAULT_TOP = 5

#: Images with more pixels than this are refused before decoding (decompression
#: bombs); 100 megapixels is larger than any consumer camera's photo.
MAX_IMAGE_PIXELS = 100_000_000
#: Files larger than this are refused before reading.
MAX_IMAGE_BYTES = 256 * 1024 * 1024

#: Detection runs on a copy whose longer side is at most this many pixels;
#: boxes are mapped back to the full photo.  Chosen by measurement
#: (benchmarks/detect_limit.py, see BENCHMARKS.md): no face of the test photos
#: is lost at this size, including the small face in obama3.jpg.
DETECTION_MAX_SIDE = 1024
#: Detections less confident than this are dropped.  On the test photos every
#: real face scores ≥ 0.956 and every false detection ≤ 0.949 (BENCHMARKS.md).
MIN_CONFIDENCE = 0.95
#: Smallest face (in pixels of the full photo) the detector looks for.
MIN_FACE_SIZE = 20
