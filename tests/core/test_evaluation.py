"""Error rates and calibration: known distributions give known numbers; bad input gives one sentence."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from faceapp.core.evaluation import calibration as C
from faceapp.core.errors import FaceAppError
from faceapp.core.evaluation.rates import FAR_TARGETS, curve_at, enough_impostors, evaluate_distances
from tests.descriptor_sets import identities

NORMAL = NormalDist()


def normal_pairs(seed: int, genuine: int = 4000, impostor: int = 400_000, people: int = 80):
    rng = np.random.default_rng(seed)
    g = rng.normal(0.35, 0.08, genuine)
    i = rng.normal(0.75, 0.08, impostor)
    return g, i, rng.integers(0, people, genuine), rng.integers(0, people, (impostor, 2))


def test_known_distributions_give_known_rates():
    g, i, gp, ip = normal_pairs(1)
    e = evaluate_distances(g, i, gp, ip)
    # Equal spreads: the EER threshold is the midpoint, the EER Φ(−Δ / 2σ).
    assert e.eer_threshold == pytest.approx(0.55, abs=0.005)
    assert e.eer == pytest.approx(NORMAL.cdf(-0.40 / 0.16), abs=0.0015)
    for far in FAR_TARGETS:
        threshold = 0.75 + 0.08 * NORMAL.inv_cdf(far)
        row = e.at_far[far]
        # Sampling error grows in the tail: at FAR 1e-4 only ~40 of the 400,000 impostor pairs are below
        # the threshold (±16 %), which moves it by ±0.003 (one σ); the tolerances are about 4 σ.
        assert row["threshold"] == pytest.approx(threshold, abs=0.004 if far >= 1e-3 else 0.012)
        assert row["tar"] == pytest.approx(NORMAL.cdf((threshold - 0.35) / 0.08), abs=0.01 if far >= 1e-3 else 0.03)
        low, high = e.intervals[f"tar@{far:g}"]
        assert low <= row["tar"] <= high
    low, high = e.intervals["eer"]
    assert low <= e.eer <= high and high - low < 0.01 and "80 people" in e.bootstrap
    assert e.best_accuracy_threshold < e.eer_threshold  # 100× more impostors: the most accurate threshold is stricter


def test_rates_are_shares_at_or_below_the_threshold():
    g, i = np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.3, 0.5, 0.6, 0.7, 0.8])
    e = evaluate_distances(g, i, bootstrap=0)
    assert curve_at(e.curve, 0.3) == (pytest.approx(0.2), pytest.approx(0.25))  # FAR 1 of 5, FRR 1 of 4
    assert curve_at(e.curve, 0.0) == (0.0, 1.0) and curve_at(e.curve, 2.0) == (1.0, 0.0)
    assert 0.3 <= e.eer_threshold <= 0.5 and e.best_accuracy == pytest.approx(8 / 9)


def test_far_is_reported_only_with_enough_impostor_pairs():
    assert [enough_impostors(f) for f in FAR_TARGETS] == [300, 3000, 30000, 300000]
    g, i, _, _ = normal_pairs(2, genuine=500, impostor=3500)
    e = evaluate_distances(g, i, bootstrap=0)
    assert isinstance(e.at_far[0.1], dict) and isinstance(e.at_far[0.01], dict)
    assert e.at_far[0.001] == e.at_far[0.0001] == "not enough pairs"


def test_pair_bootstrap_without_people():
    g, i, _, _ = normal_pairs(3, impostor=50_000)
    e = evaluate_distances(g, i, seed=4)
    assert "pairs" in e.bootstrap and e.intervals["eer"][0] <= e.eer <= e.intervals["eer"][1]
    assert evaluate_distances(g, i, seed=4).intervals == e.intervals  # seeded: repeatable


def photos_from(matrix: np.ndarray, labels: np.ndarray) -> list[C.Photo]:
    return [C.Photo(f"/p/{n}.jpg", f"person{label}", descriptor=vector, faces=1)
            for n, (vector, label) in enumerate(zip(matrix, labels))]


def test_all_genuine_pairs_and_a_seeded_sample_of_impostors():
    matrix, labels = identities(30, 8, seed=5)
    photos = photos_from(matrix, labels)
    full = C.calibrate(photos, None, "folder", "space")
    assert full.genuine_pairs == 30 * 28 and full.impostor_pairs_used == full.impostor_pairs_possible == 240 * 239 // 2 - 840
    sampled = C.calibrate(photos, None, "folder", "space", max_impostors=5000, seed=1)
    again = C.calibrate(photos, None, "folder", "space", max_impostors=5000, seed=1)
    other = C.calibrate(photos, None, "folder", "space", max_impostors=5000, seed=2)
    assert sampled.impostor_pairs_used == 5000 and "5,000 of 27,840" in sampled.notes[0]
    assert np.array_equal(sampled.impostor, again.impostor) and not np.array_equal(sampled.impostor, other.impostor)
    assert sampled.evaluation.eer == 0.0  # these people never look alike (spread 0.6)


def test_explicit_pairs_and_photos_left_out(tmp_path):
    matrix, labels = identities(4, 3, seed=6)
    photos = photos_from(matrix, labels)
    photos[0].descriptor, photos[0].problem = None, "No face found in '0.jpg'."
    photos[4].faces = 3
    pairs = [(0, 1, True), (1, 2, True), (3, 4, True), (0, 5, False), (1, 6, False), (2, 9, False)]
    result = C.calibrate(photos, pairs, "pairs.csv", "space")
    assert (result.genuine_pairs, result.impostor_pairs_used) == (2, 2)
    assert any("several faces" in n for n in result.notes) and any("left out" in n for n in result.notes)


def test_reading_a_pairs_file(tmp_path):
    from PIL import Image

    for name in ("a.jpg", "b.jpg", "c.jpg"):
        Image.new("RGB", (10, 10)).save(tmp_path / name)
    (tmp_path / "pairs.tsv").write_text("path_a\tpath_b\tsame\na.jpg\tb.jpg\t1\n# a comment\nb.jpg\tc.jpg\tno\n")
    photos, pairs = C.read_pairs_file(tmp_path / "pairs.tsv")
    assert [p.path.rsplit("/", 1)[1] for p in photos] == ["a.jpg", "b.jpg", "c.jpg"]
    assert pairs == [(0, 1, True), (1, 2, False)]
    for content, pattern in [("a.jpg,b.jpg,maybe\n", "says 'maybe'"), ("a.jpg,b.jpg\n", "2 columns"),
                             ("a.jpg,gone.jpg,1\na.jpg,c.jpg,0\n", "do not exist \\(first: 'gone.jpg'\\)"),
                             ("a.jpg,b.jpg,1\n", "both same-person and different-person")]:
        (tmp_path / "bad.csv").write_text(content)
        with pytest.raises(FaceAppError, match=pattern):
            C.read_pairs_file(tmp_path / "bad.csv")
    with pytest.raises(FaceAppError, match="does not exist"):
        C.read_pairs_file(tmp_path / "none.csv")


def test_folders_that_cannot_be_calibrated(tmp_path):
    from PIL import Image

    with pytest.raises(FaceAppError, match="does not exist"):
        C.collect_folder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FaceAppError, match="no photos in sub-folders"):
        C.collect_folder(tmp_path / "empty")
    (tmp_path / "one" / "anna").mkdir(parents=True)
    Image.new("RGB", (10, 10)).save(tmp_path / "one" / "anna" / "x.jpg")
    with pytest.raises(FaceAppError, match="only one person \\(anna\\)"):
        C.collect_folder(tmp_path / "one")
    matrix, labels = identities(3, 1, seed=7)
    with pytest.raises(FaceAppError, match="single usable photo"):
        C.calibrate(photos_from(matrix, labels), None, "f", "s")
