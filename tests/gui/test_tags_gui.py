"""People view → Photo tags: import names (progress, summary, faces from tags marked in the grid), then write
them back to a sidecar — driven as a user would, offscreen."""

from __future__ import annotations

import pytest

from tests.gui.helpers import wait_for, wait_model_ready
from tests.tagphotos import NAMES, displayed_boxes, exiftool, needs_exiftool, read_regions, region_args, tagged_photos

pytestmark = [pytest.mark.gui, needs_exiftool]


@pytest.fixture()
def library_window(window_factory, models_dir, tmp_path, qtbot):
    """A ready window whose library is a fresh file in tmp_path."""
    from PySide6.QtCore import QSettings

    from faceapp.gui import settings as keys

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(keys.LIBRARY_PATH, str(tmp_path / "people.sqlite"))
    window = window_factory(models_dir, settings=settings)
    wait_model_ready(qtbot, window)
    return window


def test_import_names_from_photo_tags_then_write_them_back(qtbot, library_window, tmp_path):
    from PySide6.QtCore import Qt

    window, view = library_window, library_window.people
    photo, = tagged_photos(tmp_path / "photos", [(1, "none")])
    exiftool("-overwrite_original", *region_args([*displayed_boxes(), (250, 20, 40, 40)], (563, 330),
                                                 (*NAMES, "Painted")), photo)
    progress: list = []
    window.library.tagsProgress.connect(progress.append)
    with qtbot.waitSignal(window.library.tagsFinished, timeout=180_000) as finished:
        view.tags_button.import_from([str(photo.parent)])
    summary = finished.args[0]
    assert summary.totals()["named"] == 3 and summary.totals()["from_tags"] == 1, summary
    assert progress and progress[-1] == (1, 1)
    assert view.summary.text().startswith("3 face tags read in 1 photo: 3 faces named, 0 already named, 1 new")
    wait_for(qtbot, window.library.overviewChanged, lambda: len(view.entries("person")) == 3, timeout=30_000)

    painted = next(item for item in view.entries("person") if "Painted" in item.text(0))
    view.sidebar.setCurrentItem(painted)
    wait_for(qtbot, window.library.pageChanged, lambda: window.library.page is not None
             and window.library.page.title == "Painted" and len(window.library.page.confirmed) == 1, timeout=30_000)
    index = view.confirmed.model().index(0, 0)
    assert index.data(Qt.ItemDataRole.DisplayRole) == "from tag"
    assert "from the photo's face tag" in index.data(Qt.ItemDataRole.ToolTipRole)

    with qtbot.waitSignal(window.library.tagsFinished, timeout=60_000) as finished:
        view.tags_button.export_action.trigger()
    written = finished.args[0]
    assert written.totals()["files_written"] == 1 and written.totals()["already_tagged"] == 3
    assert view.summary.text().startswith("0 names written into 1 file for 1 photo")  # the tags' copy only
    assert sorted(r["name"] for r in read_regions(photo.with_name(photo.name + ".xmp"))) == sorted(
        [*NAMES, "Painted"])
