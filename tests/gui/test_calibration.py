"""Tools → Calibrate threshold…, offscreen: measure, choose, and the slider follows (per model and crop)."""

from __future__ import annotations

import json

import pytest

from tests.gui.helpers import wait_model_ready

pytestmark = pytest.mark.gui


def test_calibrate_then_use_the_threshold(qtbot, ready_window, people_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("FACEAPP_THRESHOLDS", str(tmp_path / "thresholds.json"))
    window = ready_window
    window.calibrate()
    dialog = window.calibration_dialog
    assert dialog.isVisible() and not dialog.eer_button.isVisible()
    with qtbot.waitSignal(dialog.calibrated, timeout=120_000):
        dialog.start(folder=str(people_folder))
        assert dialog.cancel_button.isVisible() and not dialog.folder_button.isEnabled()
    assert dialog.result is not None
    assert "3 people, 9 of 10 photos" in dialog.summary.text() and not dialog.plots[0].pixmap().isNull()
    assert "Cannot open &#x27;broken.jpg&#x27;" in dialog.summary.text()  # the photo left out, and why
    assert dialog.far_note.isVisibleTo(dialog) and not dialog.far_button.isVisibleTo(dialog)  # 23 pairs: no FAR
    eer = dialog.result.evaluation.eer_threshold
    dialog.eer_button.click()
    verdict = window.compare.verdict
    assert verdict.threshold == round(eer, 2)
    assert verdict.meaning.text().startswith(f"at {round(eer, 2):.2f}: ") and "true pairs missed" in verdict.meaning.text()
    saved = json.loads((tmp_path / "thresholds.json").read_text())["resnet50/vggface2"]
    assert saved["threshold"] == pytest.approx(eer, abs=1e-4)
    verdict.spin.setValue(0.9)
    assert verdict.meaning.text().startswith("at 0.90: ")  # what the new value means, at once
    window.choose_crop("tutorial")  # another crop has its own threshold (none calibrated: the default)
    wait_model_ready(qtbot, window, timeout=60_000)
    assert verdict.threshold == 0.5 and not verdict.meaning.isVisibleTo(verdict)


def test_calibration_problems_are_one_sentence(qtbot, ready_window, tmp_path):
    (tmp_path / "one" / "anna").mkdir(parents=True)
    window = ready_window
    window.calibrate()
    dialog = window.calibration_dialog
    with qtbot.waitSignal(dialog.calibrated, timeout=60_000):
        dialog.start(folder=str(tmp_path / "one"))
    assert not dialog.running
    assert "no photos in sub-folders" in dialog.summary.text() and dialog.folder_button.isEnabled()
