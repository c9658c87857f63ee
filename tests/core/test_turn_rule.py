"""The turn rule (faceapp.core.detection.detector), on passes whose findings are given: which faces a photo keeps
when the upright pass and the turned passes find what these tests say they find.

The constants are the shipped ones (defaults.py); the networks are not run.  The same rule on real photos:
tests/core/test_tuning_photos.py and benchmarks/detect_tuning.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.defaults import LONE_FACE_FRACTION, STEADY_LOG_ODDS
from faceapp.core.detection.detector import FaceDetector, _Judged
from faceapp.core.types import Box, Face

SIDE = 1000  # the photo is SIDE × SIDE
SMALL = int(LONE_FACE_FRACTION * SIDE) - 20  # a small face's side
STEADY, UNSTEADY = STEADY_LOG_ODDS + 1.0, STEADY_LOG_ODDS - 1.0
NAN, INF = float("nan"), float("inf")


def judged(x: int, quarter: int = 0, margin: float = 3.0, steady: float = NAN, side: int = SMALL) -> _Judged:
    return _Judged(Face(Box(x, 100, side, side), 0.97, rotation=90 * quarter), margin, steady)


def detect(passes: dict[int, list[_Judged]]) -> tuple[list[Face], list[int]]:
    """What the detector keeps when pass ``quarter`` finds ``passes[quarter]`` (nothing when absent), and which
    passes it ran."""
    detector = FaceDetector()
    ran: list[int] = []
    detector._pyramid = lambda image: None
    detector._detect_pass = lambda image, quarter, *rest, **options: ran.append(quarter) or passes.get(quarter, [])
    return detector.detect(np.zeros((SIDE, SIDE, 3), np.uint8)), ran


def test_a_steady_lone_small_face_is_surely_upright():
    faces, ran = detect({0: [judged(10, steady=STEADY)]})
    assert ran == [0] and [f.box.x for f in faces] == [10]


def test_an_unsteady_lone_small_face_is_doubted_and_a_steady_turn_replaces_it():
    """Protest_2_586 turned 270° (tuning set): a false upright face that O-Net calls upright, hiding the turn."""
    faces, ran = detect({0: [judged(10, steady=UNSTEADY)], 1: [judged(500, 1, steady=STEADY)]})
    assert ran == [0, 1, 2, 3]
    assert [(f.box.x, f.rotation) for f in faces] == [(500, 90)]


def test_an_unsteady_lone_small_face_is_kept_when_no_turn_does_better():
    upright = judged(10, steady=UNSTEADY)
    faces, ran = detect({0: [upright], 1: [judged(500, 1, steady=UNSTEADY)], 2: [judged(600, 2, margin=-1.0)]})
    assert ran == [0, 1, 2, 3] and faces == [upright.face]


def test_a_lone_small_turned_face_counts_when_steady_or_certain():
    """Riot_3_123 turned 180° (tuning set): one small face, upside down, that only the turn finds."""
    for steady, margin in ((STEADY, 3.0), (NAN, INF)):
        faces, _ = detect({2: [judged(300, 2, margin=margin, steady=steady)]})
        assert [(f.box.x, f.rotation) for f in faces] == [(300, 180)]


@pytest.mark.parametrize("steady", [UNSTEADY, NAN])
def test_a_lone_small_turned_face_neither_steady_nor_certain_does_not_count(steady):
    """The false faces of turned passes over upright crowds: one small face each, as sure as a real one."""
    faces, _ = detect({1: [judged(300, 1, steady=steady)], 3: [judged(700, 3, steady=steady)]})
    assert faces == []


def test_a_large_face_needs_no_steadiness():
    faces, ran = detect({0: [judged(10, side=SIDE // 4)]})
    assert ran == [0] and len(faces) == 1
    faces, _ = detect({3: [judged(10, 3, side=SIDE // 4)]})
    assert [f.rotation for f in faces] == [270]


def test_faces_among_others_need_no_steadiness():
    """Steadiness is measured only for a pass's only face: two small faces O-Net calls upright are upright."""
    faces, ran = detect({0: [judged(10), judged(400)], 1: [judged(10, 1, steady=STEADY)] * 2})
    assert ran == [0] and [f.box.x for f in faces] == [10, 400]
