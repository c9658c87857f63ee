"""Every default value faceapp uses, in one place.

The CLI, the GUI and the core read these; nothing else hard-codes them.
"""

from __future__ import annotations

#: Cosine distance at or below which two faces are judged the same person.
DEFAULT_THRESHOLD = 0.5
#: "Who is this?": the best person must beat the runner-up person by this much cosine distance
#: (PhotoPrism's rule against confusing two similar people).  Not measured on real descriptors: the
#: official weights cannot be downloaded where faceapp is built (BENCHMARKS.md); `who --margin` and
#: `evaluate` (the gap between genuine and impostor distances) are there to set it from your photos.
MATCH_MARGIN = 0.05
#: Grouping unnamed faces (Immich's core-point rule): a face with at least this many other faces within
#: the grouping distance starts or joins a group — so three faces of one person make a group.
GROUP_MIN_FACES = 2
#: The grouping distance, when none is given, is the same-person threshold in use (calibrated or
#: DEFAULT_THRESHOLD): one number means "same person" everywhere.

#: Slider / CLI bounds for the threshold.
THRESHOLD_MIN = 0.0
THRESHOLD_MAX = 1.0
THRESHOLD_STEP = 0.01

#: Version of everything between a photo's bytes and its descriptors (decoding, EXIF, detection,
#: cropping, preprocessing).  Bump it when any of them changes: a library then describes its photos
#: again instead of comparing old descriptors with new ones.
PIPELINE_VERSION = 1

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
#: boxes are mapped back to the full photo.  Chosen on the 306 generated cases (benchmarks/detect_limit.py,
#: BENCHMARKS.md "How far detection may downscale", its table): the crowds of 40–72-px faces on 3,200-px
#: photos keep every face at 1,024 px and lose two at 800 px, six at 640.
DETECTION_MAX_SIDE = 1024
#: Confidence floors by face size.  First chosen on 306 generated cases (benchmarks/detect_policy.py,
#: BENCHMARKS.md "Detection policy", first table): false detections were all small (at most 6 % of the
#: working image's longer side) and scored up to 0.98; no false detection of 15 % or more occurred at any
#: confidence, while real faces that large scored as low as 0.938.  So small boxes get a strict floor, and
#: boxes of at least LARGE_FACE_FRACTION a floor between the cascade's own 0.8 and the weakest real face seen.
#: The small-face floor was then lowered from 0.95 to 0.93 on the tuning set's real photos
#: (benchmarks/detect_tuning.py, BENCHMARKS.md "Turns on real photos", table "Floors replayed"): real faces
#: of 5–15 % score lower than generated ones; 0.93 finds 23 more true faces with one more false face (8,
#: against 11 for the plain cascade at the same floors and 10 at the old ones); 0.92 and 0.90 add false faces
#: faster (11, 15).  The large-face floor and LARGE_FACE_FRACTION are kept: 0.80 / 10 % would find 3 / 6 more
#: faces, inside what one set of 371 photos can tell.
MIN_CONFIDENCE = 0.93
MIN_CONFIDENCE_LARGE = 0.85
LARGE_FACE_FRACTION = 0.15
#: A face is *surely* upright when O-Net believes its patch as it stands more than turned by a quarter,
#: a half or three quarters by more than this log-odds margin.  Turns are tried only when no face of the
#: upright pass is surely upright; a turn's faces count only when surely upright there.  Chosen on real
#: photos (benchmarks/detect_tuning.py, BENCHMARKS.md "Turns on real photos", table "Turn policies", rows
#: "keep upright"): 1.0 and 2.0 lose one and three more turned photos than 0.0; with the conditions below
#: (TURN_*), no photo loses a face the plain cascade keeps.
UPRIGHT_MARGIN = 0.0
#: Which turn may replace the upright faces, chosen on real photos (benchmarks/detect_tuning.py, BENCHMARKS.md
#: "Turns on real photos", table "Turn rules", row "… with single 10 %" and the rows "… with" that vary
#: each value, then table "Steady lone faces"):
#: a turn is not the photo's when one of its faces above the floor is surely lying on its side there (O-Net
#: prefers it turned by more than TURN_VETO_MARGIN) — this finds interfaces_037_cw90, where two small false
#: faces of the wrong turn outnumbered the right turn's face;
TURN_VETO_MARGIN = 2.0
#: a *lone small face* — a pass's only face above the floor, under this fraction of the photo's longer side —
#: is surely upright only when it is also steady (STEADY_LOG_ODDS), and a turn whose one surely upright face is
#: under it counts only when that face is certain or steady: the turned passes' false faces (upright WIDER
#: crowds whose upright pass finds nothing) were all single faces of 5–11 %, scoring 0.93–0.994 with margins up
#: to 5.2, where real turned faces score alike; refusing them below 10 % made 8 false faces fewer (and lost a real
#: lone turned face, found since by its steadiness).  15 % removes one more false face but loses generated turned
#: photos whose one face is 14–15 % of the side (obama3.jpg turned; detect_policy.py);
LONE_FACE_FRACTION = 0.10
#: a lone small face is *steady* when O-Net still gives it at least these log-odds with its box moved a tenth of
#: its side left, right, up and down (the least of the four).  Chosen on real photos (BENCHMARKS.md "Turns on real
#: photos", table "Steady lone faces" and the steadiness table after it): the lone small false faces of turns
#: reached 1.89, the false upright face that hid Protest_2_586_cw270's turn 1.00, the two real lone turned faces
#: 3.86 and 4.49; every value from 1.5 to 3.5 finds all 50 turned copies with no photo losing a face, and a
#: higher one makes more upright photos try turns (their real lone face is doubted more often), so 2.0;
STEADY_LOG_ODDS = 2.0
#: a face O-Net gives at least these log-odds is surely upright without being judged (no O-Net batch for its
#: orientation): of 129 real faces lying on their side or upside down that O-Net accepted above the floor on the
#: tuning set, the most confident had 6.93 (interfaces/039 turned a quarter); 6 loses interfaces/047's face.
#: At 8, 36 % fewer orientation batches on the upright photos with faces, the same faces (same table);
CERTAIN_LOG_ODDS = 8.0
#: when the upright pass found nothing and no turn qualifies, the large face (LONE_FACE_FRACTION) that O-Net
#: likes best as it stands in its turn is taken if its margin is above this (interfaces_057_cw270: O-Net doubts
#: that portrait in every orientation, −0.31 in the right one, −6 and −12 in the others);
TURN_FALLBACK_MARGIN = -1.0
#: when the upright pass found faces (none surely upright), the turned passes seek only faces at least this
#: fraction of the smallest of them: a turn needs as many faces to replace them, and P-Net's finest pyramid
#: levels are most of a pass's cost (same table, last column).
TURN_SEEK_FRACTION = 0.5
#: Smallest face (in pixels of the full photo) the detector looks for: the tuning set's counting rule
#: (a face a person would tag is at least 20 px); recall from there up: BENCHMARKS.md "Turns on real
#: photos", table "By face size".
MIN_FACE_SIZE = 20
